using Fleet.Api.Alerts;

namespace Fleet.Tests.Alerts;

/// <summary>The pure parts of alerting: lifecycle, holds against flapping, conditions and scope.</summary>
public sealed class AlertRulesOfThumbTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(AlertState.Open, AlertAction.Acknowledge, AlertState.Acknowledged)]
    [InlineData(AlertState.Open, AlertAction.Resolve, AlertState.Resolved)]
    [InlineData(AlertState.Open, AlertAction.Clear, AlertState.Resolved)]
    [InlineData(AlertState.Acknowledged, AlertAction.Acknowledge, null)]
    [InlineData(AlertState.Acknowledged, AlertAction.Resolve, AlertState.Resolved)]
    [InlineData(AlertState.Acknowledged, AlertAction.Clear, AlertState.Resolved)]
    [InlineData(AlertState.Resolved, AlertAction.Acknowledge, null)]
    [InlineData(AlertState.Resolved, AlertAction.Resolve, null)]
    [InlineData(AlertState.Resolved, AlertAction.Clear, null)]
    public void Every_state_and_action_has_one_outcome(AlertState state, AlertAction action, AlertState? expected) =>
        AlertLifecycle.Next(state, action).ShouldBe(expected);

    [Fact]
    public void The_lifecycle_table_covers_every_pair() =>
        (Enum.GetValues<AlertState>().Length * Enum.GetValues<AlertAction>().Length).ShouldBe(9);

    [Fact]
    public void Without_a_hold_a_breach_opens_at_once_and_a_clear_resolves_at_once()
    {
        AlertHold.Decide(false, true, null, TimeSpan.Zero, Now).ShouldBe(new HoldDecision(AlertMove.Open, null, null));
        AlertHold.Decide(true, false, null, TimeSpan.Zero, Now).ShouldBe(new HoldDecision(AlertMove.Clear, null, null));
    }

    [Fact]
    public void A_breach_opens_only_after_holding_for_the_rule_duration()
    {
        var hold = TimeSpan.FromSeconds(30);
        var first = AlertHold.Decide(false, true, null, hold, Now);
        first.ShouldBe(new HoldDecision(AlertMove.None, Now, Now + hold));
        AlertHold.Decide(false, true, first.HoldSince, hold, Now.AddSeconds(29)).Move.ShouldBe(AlertMove.None);
        AlertHold.Decide(false, true, first.HoldSince, hold, Now.AddSeconds(30)).Move.ShouldBe(AlertMove.Open);
    }

    [Fact]
    public void Flapping_shorter_than_the_hold_never_opens_nor_resolves()
    {
        var hold = TimeSpan.FromSeconds(30);
        var breached = AlertHold.Decide(false, true, null, hold, Now);
        AlertHold.Decide(false, false, breached.HoldSince, hold, Now.AddSeconds(10)).ShouldBe(new HoldDecision(AlertMove.None, null, null));

        var clearing = AlertHold.Decide(true, false, null, hold, Now);
        clearing.Move.ShouldBe(AlertMove.None);
        AlertHold.Decide(true, true, clearing.HoldSince, hold, Now.AddSeconds(10)).ShouldBe(new HoldDecision(AlertMove.None, null, null));
    }

    [Fact]
    public void No_data_stops_a_running_hold() =>
        AlertHold.Decide(false, null, Now, TimeSpan.FromSeconds(30), Now.AddMinutes(5)).ShouldBe(new HoldDecision(AlertMove.None, null, null));

    [Theory]
    [InlineData("gt", 50, 50.1, true)]
    [InlineData("gt", 50, 50, false)]
    [InlineData("gte", 50, 50, true)]
    [InlineData("lt", 10, 9.9, true)]
    [InlineData("lte", 10, 10, true)]
    [InlineData("lte", 10, 10.01, false)]
    public void Metric_thresholds_compare_as_named(string op, double threshold, double value, bool breached) =>
        AlertConditions.Evaluate(Rule(AlertRuleKind.MetricThreshold, r => (r.Metric, r.Op, r.Value) = ("temperature", op, threshold)), Device(metrics: new() { ["temperature"] = value }))
            .Breached.ShouldBe(breached);

    [Fact]
    public void A_metric_the_device_never_sent_is_unknown_not_clear() =>
        AlertConditions.Evaluate(Rule(AlertRuleKind.MetricThreshold, r => (r.Metric, r.Op, r.Value) = ("pressure", "gt", 1)), Device()).Breached.ShouldBeNull();

    [Theory]
    [InlineData(19.9, true)]
    [InlineData(20, false)]
    public void Battery_below_the_level_defaults_to_20_percent(double battery, bool breached) =>
        AlertConditions.Evaluate(Rule(AlertRuleKind.BatteryLow), Device(battery: battery)).Breached.ShouldBe(breached);

    [Theory]
    [InlineData("at-risk", "online", false)]
    [InlineData("at-risk", "at-risk", true)]
    [InlineData("at-risk", "offline", true)]
    [InlineData("offline", "at-risk", false)]
    [InlineData("offline", "offline", true)]
    [InlineData("offline", "unknown", null)]
    public void Connectivity_rules_fire_at_their_status_or_worse(string status, string connectivity, bool? breached) =>
        AlertConditions.Evaluate(Rule(AlertRuleKind.Connectivity, r => r.Status = status), Device(connectivity: connectivity)).Breached.ShouldBe(breached);

    [Fact]
    public void Sequence_gap_rules_compare_the_windowed_loss_ratio_with_their_value()
    {
        var rule = Rule(AlertRuleKind.SequenceGaps, r => r.Value = 0.05);
        AlertConditions.Evaluate(rule, Device() with { LossRatio = 0.06 }).Breached.ShouldBe(true);
        AlertConditions.Evaluate(rule, Device() with { LossRatio = 0.05 }).Breached.ShouldBe(false);
        AlertConditions.Evaluate(rule, Device(expected: 100, missing: 50)).Breached.ShouldBeNull("lifetime counts alone are not judged");
    }

    [Theory]
    [InlineData(10.0, 3.0, null, true)]
    [InlineData(9.0, 3.0, null, false)]
    [InlineData(2.0, 0.1, null, true)]   // the norm is taken as at least the 0.5 %/h floor: 2 > 3 × 0.5
    [InlineData(1.4, 0.1, null, false)]
    [InlineData(10.0, 3.0, 4.0, false)]  // a rule's own factor
    public void Battery_degradation_fires_when_drain_exceeds_the_factor_times_the_types_norm(double drain, double norm, double? factor, bool breached)
    {
        var rule = Rule(AlertRuleKind.BatteryDegradation, r => r.Value = factor);
        var result = AlertConditions.Evaluate(rule, Device() with { DrainPerHour = drain, DrainNormPerHour = norm }, floor: 0.5);
        result.Breached.ShouldBe(breached);
        result.Value!.Value.ShouldBe(drain / Math.Max(norm, 0.5), 1e-9);
    }

    [Theory]
    [InlineData(3, 10, 5, true)]
    [InlineData(2, 10, 5, false)]  // 20 % is not above 20 %
    [InlineData(3, 4, 5, null)]    // too few finished to judge
    public void Rollout_failure_ratio_compares_failed_to_finished_updates(int failed, int finished, int minimum, bool? breached)
    {
        var result = AlertConditions.RolloutFailure(Rule(AlertRuleKind.RolloutFailureRatio, r => r.Value = 0.2), "canary", failed, finished, minimum);
        result.Breached.ShouldBe(breached);
    }

    [Fact]
    public void Battery_degradation_cannot_judge_without_a_drain_or_a_norm()
    {
        var rule = Rule(AlertRuleKind.BatteryDegradation);
        AlertConditions.Evaluate(rule, Device() with { DrainPerHour = 50 }).Breached.ShouldBeNull();
        AlertConditions.Evaluate(rule, Device() with { DrainNormPerHour = 1 }).Breached.ShouldBeNull();
    }

    [Fact]
    public void Scope_matches_every_given_list_and_any_given_tag()
    {
        var rule = Rule(AlertRuleKind.BatteryLow, r => (r.ScopeTypes, r.ScopeRegions, r.ScopeTags) = (["lock"], ["eu-west"], ["door", "roof"]));
        AlertConditions.InScope(rule, Device(type: "lock", region: "eu-west", tags: ["roof"])).ShouldBeTrue();
        AlertConditions.InScope(rule, Device(type: "lock", region: "us-east", tags: ["roof"])).ShouldBeFalse();
        AlertConditions.InScope(rule, Device(type: "lock", region: "eu-west", tags: ["cellar"])).ShouldBeFalse();
        AlertConditions.InScope(Rule(AlertRuleKind.BatteryLow), Device(type: "anything")).ShouldBeTrue();
    }

    private static AlertRule Rule(AlertRuleKind kind, Action<AlertRule>? configure = null)
    {
        var rule = new AlertRule { Id = Guid.NewGuid(), Name = "r", Kind = kind, Severity = AlertSeverity.Warning };
        configure?.Invoke(rule);
        return rule;
    }

    private static DeviceAlertSnapshot Device(
        string type = "meter", string region = "eu-west", string[]? tags = null, string connectivity = "online",
        double? battery = null, Dictionary<string, double>? metrics = null, long? expected = null, long? missing = null) =>
        new(Guid.NewGuid(), type, region, "rev-a", tags ?? [], connectivity, battery, metrics ?? [], expected, missing);
}
