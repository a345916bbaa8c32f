using System.Globalization;

namespace Fleet.Api.Alerts;

/// <summary>
/// What a device looked like at the start of its current window (two reference values and when), and the rate the
/// last complete window gave. Rules that judge a rate — battery drain, packet loss — read it instead of the device's
/// lifetime, so an old burst of loss does not linger and a new one is not diluted.
/// </summary>
public readonly record struct WindowMark(double First, double Second, double? Last, DateTimeOffset At)
{
    public string Serialize() => string.Join('|',
        First.ToString("R", CultureInfo.InvariantCulture),
        Second.ToString("R", CultureInfo.InvariantCulture),
        Last?.ToString("R", CultureInfo.InvariantCulture) ?? "",
        At.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));

    public static WindowMark? Parse(string? text)
    {
        var parts = text?.Split('|');
        if (parts is not { Length: 4 }
            || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var first)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var second)
            || !long.TryParse(parts[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var at))
        {
            return null;
        }

        double? last = double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;
        return new WindowMark(first, second, last, DateTimeOffset.FromUnixTimeMilliseconds(at));
    }
}

/// <summary>Tumbling windows as pure steps: each returns the mark to keep (null: unchanged) and the rate to judge by.</summary>
public static class AlertWindow
{
    /// <summary>A rise of more than this many points is a recharge: the drain window starts again.</summary>
    public const double RechargeStep = 1;

    /// <summary>Battery drain in percentage points per hour over the last complete window; unknown until one has passed.</summary>
    public static (WindowMark? Store, double? DrainPerHour) Drain(WindowMark? mark, double battery, DateTimeOffset now, TimeSpan window)
    {
        if (mark is not { } current || battery > current.First + RechargeStep)
        {
            return (new WindowMark(battery, 0, null, now), null);
        }

        var elapsed = now - current.At;
        if (elapsed < window || elapsed <= TimeSpan.Zero)
        {
            return (null, current.Last);
        }

        var rate = Math.Max(0, current.First - battery) / elapsed.TotalHours;
        return (new WindowMark(battery, 0, rate, now), rate);
    }

    /// <summary>
    /// Missing readings over expected ones in the last complete window (late readings that fill a gap count back);
    /// before the first window has passed, the device's lifetime so far (shorter than a window) is the estimate.
    /// </summary>
    public static (WindowMark? Store, double? LossRatio) Loss(WindowMark? mark, long expected, long missing, DateTimeOffset now, TimeSpan window)
    {
        if (mark is not { } current || expected < current.First)
        {
            return (new WindowMark(expected, missing, null, now), Ratio(expected, missing));
        }

        if (now - current.At < window)
        {
            return (null, current.Last ?? Ratio(expected, missing));
        }

        var ratio = Ratio(expected - (long)current.First, missing - (long)current.Second) ?? current.Last;
        return (new WindowMark(expected, missing, ratio, now), ratio);
    }

    private static double? Ratio(long expected, long missing) => expected > 0 ? Math.Clamp(missing / (double)expected, 0, 1) : null;
}
