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
    public void Each_evaluation_shows_its_verdict_and_the_numbers_it_compared()
    {
        var table = _context.Render<GateTable>(parameters => parameters.Add(gates => gates.Gates, [
            Gate(2, "breach", healthy: 40, failed: 8, successRatio: 0.8, failureRatio: 0.16, pValue: 0.0012),
            Gate(1, "pass", healthy: 10, failed: 0, successRatio: 1, failureRatio: 0, pValue: null),
        ]));

        var rows = table.FindAll("[data-testid=gate-row]");
        rows.Select(row => row.GetAttribute("data-verdict")).ShouldBe(["breach", "pass"]);
        var breach = rows[0];
        breach.QuerySelector("[data-testid=gate-cohort]")!.TextContent.ShouldBe("50");
        breach.QuerySelector("[data-testid=gate-success]")!.TextContent.ShouldBe("80% ≥ 95%");
        breach.QuerySelector("[data-testid=gate-success]")!.ClassName.ShouldBe("mud-warning-text");
        breach.QuerySelector("[data-testid=gate-failure]")!.TextContent.ShouldBe("16% ≤ 5%");
        breach.QuerySelector("[data-testid=gate-failure]")!.ClassName.ShouldBe("mud-error-text");
        breach.QuerySelector("[data-testid=gate-test]")!.TextContent.ShouldBe("two-proportion z: stat 3.1, p = 0.0012 vs α 0.05");
        breach.TextContent.ShouldContain("failure ratio above the maximum");
        rows[1].QuerySelector("[data-testid=gate-test]")!.TextContent.ShouldBe("two-proportion z (not enough devices)");
    }

    [Fact]
    public void Each_health_signal_shows_both_groups_and_a_significant_one_stands_out()
    {
        var gate = Gate(0, "breach", healthy: 40, failed: 0, successRatio: 1, failureRatio: 0, pValue: 0.4) with
        {
            Health =
            [
                new GateHealthComparison("offline", 40, 1, 200, 3, "two-proportion z", 0.2, 0.4, 0.0167, false),
                new GateHealthComparison("rebooted", 40, 12, 200, 2, "Fisher", null, 0.00001, 0.0167, true),
            ],
        };

        var table = _context.Render<GateTable>(parameters => parameters.Add(gates => gates.Gates, [gate]));

        var signals = table.FindAll("[data-testid=gate-signal]");
        signals.Select(s => s.TextContent).ShouldBe(["offline: 1/40 vs 3/200, p = 0.4 vs α 0.0167", "rebooted: 12/40 vs 2/200, p = 0 vs α 0.0167"]);
        signals.Select(s => s.GetAttribute("data-significant")).ShouldBe(["false", "true"]);
        signals[1].ClassName.ShouldBe("mud-error-text");
    }

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
        timeline.Find("[data-testid=phase-soak]").TextContent.ShouldBe("soaking for 3m 00s");
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
