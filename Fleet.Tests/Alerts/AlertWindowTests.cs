using Fleet.Api.Alerts;

namespace Fleet.Tests.Alerts;

/// <summary>Tumbling windows for battery drain and packet loss: pure steps, stored as marks.</summary>
public sealed class AlertWindowTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    [Fact]
    public void Drain_is_unknown_until_a_whole_window_has_passed_then_measured_over_it()
    {
        var (first, rate) = AlertWindow.Drain(null, 80, Start, Window);
        rate.ShouldBeNull();
        first.ShouldBe(new WindowMark(80, 0, null, Start));

        var (unchanged, early) = AlertWindow.Drain(first, 79, Start.AddMinutes(10), Window);
        (unchanged, early).ShouldBe((null, null));

        var (next, measured) = AlertWindow.Drain(first, 77, Start.AddMinutes(30), Window);
        measured!.Value.ShouldBe(6.0, 1e-9); // 3 points in half an hour
        next.ShouldBe(new WindowMark(77, 0, 6.0, Start.AddMinutes(30)));

        AlertWindow.Drain(next, 76.5, Start.AddMinutes(35), Window).DrainPerHour.ShouldBe(6.0, "between windows the last rate holds");
    }

    [Fact]
    public void A_recharge_starts_the_drain_window_again()
    {
        var mark = new WindowMark(40, 0, 5.0, Start);
        var (store, rate) = AlertWindow.Drain(mark, 90, Start.AddMinutes(20), Window);
        rate.ShouldBeNull();
        store.ShouldBe(new WindowMark(90, 0, null, Start.AddMinutes(20)));
    }

    [Fact]
    public void Loss_is_the_lifetime_ratio_before_the_first_window_and_the_windows_own_ratio_after()
    {
        var (first, lifetime) = AlertWindow.Loss(null, 1000, 400, Start, Window);
        lifetime.ShouldBe(0.4);

        // The next window: 200 more readings expected, 2 more missing — the old burst of loss does not linger.
        var (second, windowed) = AlertWindow.Loss(first, 1200, 402, Start.AddMinutes(16), Window);
        windowed!.Value.ShouldBe(0.01, 1e-9);
        second.ShouldBe(new WindowMark(1200, 402, 0.01, Start.AddMinutes(16)));

        // A new burst is not diluted by the device's long clean past.
        AlertWindow.Loss(second, 1300, 452, Start.AddMinutes(32), Window).LossRatio!.Value.ShouldBe(0.5, 1e-9);
    }

    [Fact]
    public void Late_readings_that_fill_a_gap_never_make_the_loss_negative()
    {
        var mark = new WindowMark(100, 10, 0.1, Start);
        AlertWindow.Loss(mark, 150, 4, Start.AddMinutes(20), Window).LossRatio.ShouldBe(0);
    }

    [Fact]
    public void A_window_without_readings_keeps_the_last_ratio()
    {
        var mark = new WindowMark(100, 10, 0.1, Start);
        AlertWindow.Loss(mark, 100, 10, Start.AddMinutes(20), Window).LossRatio.ShouldBe(0.1);
    }

    [Fact]
    public void Marks_survive_their_text_form()
    {
        var mark = new WindowMark(77.25, 3, 6.125, Start);
        WindowMark.Parse(mark.Serialize()).ShouldBe(mark);
        WindowMark.Parse(new WindowMark(1, 2, null, Start).Serialize()).ShouldBe(new WindowMark(1, 2, null, Start));
        WindowMark.Parse("garbage").ShouldBeNull();
        WindowMark.Parse(null).ShouldBeNull();
    }
}
