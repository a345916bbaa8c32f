using Bunit;
using Fleet.Contracts;
using Fleet.Web.Components.Shared;
using Fleet.Web.Services;

namespace Fleet.Tests.Web;

/// <summary>The rollout detail's gate table, phase timeline and action bar, rendered from API records.</summary>
public sealed class GateTableTests : IAsyncLifetime
{
    private readonly BunitContext _context = WebTestContext.Create(WebTestContext.Unreachable());

    [Fact]
    public void Each_evaluation_is_one_line_newest_first_with_durations_in_words_and_its_numbers_on_expand()
    {
        var table = _context.Render<GateTable>(parameters => parameters.Add(gates => gates.Gates, [
            Gate(1, "pass", healthy: 10, failed: 0, successRatio: 1, failureRatio: 0, pValue: null),
            Gate(2, "breach", healthy: 40, failed: 8, successRatio: 0.8, failureRatio: 0.16, pValue: 0.0012) with { SoakElapsed = TimeSpan.FromSeconds(72.1583337) },
        ]));

        var rows = table.FindAll("[data-testid=gate-row]");
        rows.Select(row => row.GetAttribute("data-verdict")).ShouldBe(["breach", "pass"]);
        var breach = rows[0];
        breach.QuerySelector("[data-testid=gate-soak]")!.TextContent.ShouldBe("1 min 12 s of 10 min");
        breach.QuerySelector("[data-testid=gate-soak]")!.ClassName.ShouldBe("mud-warning-text");
        breach.QuerySelector("[data-testid=gate-devices]")!.TextContent.ShouldBe("40 / 8 / 2 of 50");
        breach.QuerySelector("[data-testid=gate-success]")!.TextContent.ShouldBe("80% ≥ 95%");
        breach.QuerySelector("[data-testid=gate-success]")!.ClassName.ShouldBe("mud-warning-text");
        breach.QuerySelector("[data-testid=gate-failure]")!.TextContent.ShouldBe("16% ≤ 5%");
        breach.QuerySelector("[data-testid=gate-failure]")!.ClassName.ShouldBe("mud-error-text");
        breach.QuerySelector("[data-testid=gate-reasons]")!.TextContent.ShouldBe("failure ratio above the maximum");
        rows[1].QuerySelector("[data-testid=gate-soak]")!.TextContent.ShouldBe("12 min of 10 min");
        rows[1].QuerySelector("[data-testid=gate-test]")!.TextContent.ShouldBe("not enough devices to compare");
        table.FindAll("[data-testid=gate-details]").ShouldBeEmpty();

        breach.QuerySelector("[data-testid=gate-expand]")!.Click();

        var details = table.Find("[data-testid=gate-details]");
        details.GetAttribute("data-gate").ShouldBe("3");
        details.TextContent.ShouldContain("updated devices offline 1 of 50 · not updated offline 3 of 200");
        details.QuerySelector("[data-testid=gate-reason-list]")!.TextContent.ShouldContain("failure ratio above the maximum");
        table.Find("[data-testid=gate-row][data-gate='3'] [data-testid=gate-expand]").GetAttribute("aria-expanded").ShouldBe("true");
    }

    [Fact]
    public void The_health_test_names_the_signal_that_found_updated_devices_worse_not_the_offline_p_value()
    {
        var breach = Gate(0, "breach", healthy: 40, failed: 0, successRatio: 1, failureRatio: 0, pValue: 1) with
        {
            Health =
            [
                new GateHealthComparison("offline", 40, 0, 200, 0, "two-proportion z", 0, 1, 0.0167, false),
                new GateHealthComparison("erroring", 40, 12, 200, 2, "Fisher", null, 0.00001, 0.0167, true),
            ],
        };
        var pass = Gate(1, "pass", healthy: 40, failed: 0, successRatio: 1, failureRatio: 0, pValue: 0.4) with
        {
            Health =
            [
                new GateHealthComparison("offline", 40, 1, 200, 3, "two-proportion z", 0.2, 0.4, 0.0167, false),
                new GateHealthComparison("rebooted", 40, 1, 200, 2, "Fisher", null, 0.3, 0.0167, false),
            ],
        };

        var table = _context.Render<GateTable>(parameters => parameters.Add(gates => gates.Gates, [breach, pass]));

        var tests = table.FindAll("[data-testid=gate-test]");
        tests.Select(t => t.TextContent).ShouldBe(["no signal worse (lowest p = 0.3, rebooted)", "worse on erroring: p = 0 < α 0.0167"]);
        tests.Select(t => t.GetAttribute("data-worse")).ShouldBe(["false", "true"]);
        table.FindAll("[data-testid=gate-expand]")[1].Click();
        var signals = table.FindAll("[data-testid=gate-signal]");
        signals.Select(s => s.TextContent).ShouldBe(["offline: 0/40 vs 0/200, p = 1 vs α 0.0167", "erroring: 12/40 vs 2/200, p = 0 vs α 0.0167"]);
        signals.Select(s => s.GetAttribute("data-significant")).ShouldBe(["false", "true"]);
        signals[1].ClassName.ShouldBe("mud-error-text");
    }

    [Fact]
    public void More_evaluations_than_a_page_offer_older_and_newer_pages()
    {
        var asked = new List<int>();
        var gates = Enumerable.Range(0, 10).Select(i => Gate(0, "wait", healthy: 1, failed: 0, successRatio: 0.1, failureRatio: 0, pValue: null) with { Id = 100 - i }).ToList();

        var table = _context.Render<GateTable>(parameters => parameters
            .Add(g => g.Gates, gates).Add(g => g.Total, 25).Add(g => g.Page, 1).Add(g => g.PageSize, 10)
            .Add(g => g.PageChanged, page => asked.Add(page)));

        table.Find("[data-testid=gates-range]").TextContent.ShouldBe("1–10 of 25 evaluations");
        table.Find("[data-testid=gates-newer]").HasAttribute("disabled").ShouldBeTrue();
        table.Find("[data-testid=gates-older]").Click();
        asked.ShouldBe([2]);
    }

    [Theory]
    [InlineData(0, "0 s")]
    [InlineData(45.9, "45 s")]
    [InlineData(72.1583337, "1 min 12 s")]
    [InlineData(600, "10 min")]
    [InlineData(12_000, "3 h 20 min")]
    [InlineData(187_200, "2 d 4 h")]
    public void Durations_read_as_words_in_their_two_largest_units(double seconds, string expected) =>
        DurationText.Words(TimeSpan.FromSeconds(seconds)).ShouldBe(expected);

    [Fact]
    public void Without_evaluations_the_table_says_why_it_is_empty()
    {
        var table = _context.Render<GateTable>(parameters => parameters.Add(gates => gates.Gates, []));

        table.Find("[data-testid=gates-empty]").TextContent.ShouldContain("No gate has been evaluated yet");
        table.FindAll("[data-testid=gate-table]").ShouldBeEmpty();
    }

    [Fact]
    public void The_timeline_marks_phases_done_current_and_planned_with_the_latest_gate_counts_of_each()
    {
        var rollout = Rollout("paused", phaseIndex: 1);

        var timeline = _context.Render<RolloutPhaseTimeline>(parameters => parameters
            .Add(t => t.Rollout, rollout)
            .Add(t => t.Gates, [Gate(1, "wait", healthy: 3, failed: 0, successRatio: 0.3, failureRatio: 0, pValue: null), Gate(0, "pass", healthy: 1, failed: 0, successRatio: 1, failureRatio: 0, pValue: null)])
            .Add(t => t.Now, rollout.PhaseStartedAt!.Value.AddMinutes(3)));

        timeline.FindAll("[data-testid=phase]").Select(phase => phase.GetAttribute("data-status")).ShouldBe(["done", "current", "planned"]);
        timeline.FindAll("[data-testid=phase-counts]").Select(counts => counts.TextContent.Trim()).ShouldBe([
            "50 devices: 1 healthy, 0 failed, 49 in flight (pass)",
            "50 devices: 3 healthy, 0 failed, 47 in flight (wait)",
        ]);
        timeline.Find("[data-testid=phase-soak]").TextContent.ShouldBe("soaking for 3 min");
    }

    [Theory]
    [InlineData("draft", false, "start abort")]
    [InlineData("running", false, "pause advance abort rollback")]
    [InlineData("paused", false, "resume advance abort rollback")]
    [InlineData("running", true, "pause advance promote abort rollback")]
    [InlineData("completed", false, "")]
    [InlineData("rolled-back", false, "")]
    public void The_action_bar_offers_only_what_the_state_allows(string state, bool greenFirst, string expected)
    {
        var bar = _context.Render<RolloutActionBar>(parameters => parameters.Add(b => b.Rollout, Rollout(state, 0) with { GreenFirst = greenFirst }));

        string.Join(" ", bar.FindAll("button").Select(button => button.GetAttribute("data-testid")!["rollout-".Length..])).ShouldBe(expected);
    }

    [Fact]
    public void A_verdict_held_back_for_too_few_finished_devices_says_which_and_how_many()
    {
        var table = _context.Render<GateTable>(parameters => parameters.Add(gates => gates.Gates, [
            Gate(0, "wait", healthy: 1, failed: 2, successRatio: 0.1, failureRatio: 0.2, pValue: null) with { Finished = 3, RequiredFinished = 10, Withheld = "breach" },
            Gate(0, "wait", healthy: 1, failed: 0, successRatio: 0.1, failureRatio: 0, pValue: null) with { Finished = 1, RequiredFinished = 10 },
        ]));

        var held = table.FindAll("[data-testid=gate-withheld]").ShouldHaveSingleItem();
        held.TextContent.ShouldBe("breach held back: 3 of 10 finished");
        held.GetAttribute("data-withheld").ShouldBe("breach");
    }

    private static GateEvaluationResponse Gate(int phase, string verdict, int healthy, int failed, double successRatio, double failureRatio, double? pValue) => new(
        phase + 1, phase, phase == 0 ? 10 : 50, DateTimeOffset.UnixEpoch.AddMinutes(phase), verdict,
        verdict == "breach" ? ["failure ratio above the maximum"] : [],
        TimeSpan.FromMinutes(12), TimeSpan.FromMinutes(10), 50, healthy, failed, 50 - healthy - failed,
        successRatio, 0.95, failureRatio, 0.05, 50, 1, 200, 3, "two-proportion z", pValue is null ? null : 3.1, pValue, 0.05);

    private static RolloutResponse Rollout(string state, int phaseIndex) => new(
        Guid.NewGuid(), "test", Guid.NewGuid(), "2.0.0", new RolloutTarget(),
        new RolloutPlan([new(10, TimeSpan.FromMinutes(10), 0.95, 0.05), new(50, TimeSpan.FromMinutes(10), 0.95, 0.05), new(100, TimeSpan.Zero, 0.95, 0.05)]),
        state, phaseIndex, 50, false, false, 100, 100, 0, new Dictionary<string, int>(),
        DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddHours(1), null, "operator");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _context.DisposeAsync();
}
