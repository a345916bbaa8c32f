using Fleet.Api.Rollouts;
using Fleet.Contracts;

namespace Fleet.Tests.Rollouts;

public sealed class RolloutPlanSettingsTests
{
    [Fact]
    public void No_plan_means_1_10_50_100_with_auto_advance_and_is_valid()
    {
        var plan = RolloutPlanSettings.From(null);

        plan.Phases.Select(p => p.Percent).ShouldBe([1, 10, 50, 100]);
        plan.AutoAdvance.ShouldBeTrue();
        plan.AutoRollback.ShouldBeFalse();
        plan.MinimumExecuted.ShouldBe(1);
        plan.Validate().ShouldBeEmpty();
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(50, true)]
    [InlineData(100_001, false)]
    public void Minimum_executed_must_be_a_device_count_and_is_named_when_not(int minimum, bool valid)
    {
        var errors = RolloutPlanSettings.From(new RolloutPlan(MinimumExecuted: minimum)).Validate();

        errors.ContainsKey("plan.minimumExecuted").ShouldBe(!valid);
        errors.Count.ShouldBe(valid ? 0 : 1);
    }

    [Fact]
    public void A_plan_stored_before_minimum_executed_existed_reads_as_no_minimum()
    {
        const string stored = """{"phases":[{"percent":100,"minimumSoak":"00:00:00","successThreshold":0.9,"maxFailureRatio":0.1}],"segmentOverrides":[],"autoAdvance":true,"autoRollback":false,"maxConcurrentUpdates":5,"perDeviceTimeout":"00:15:00","retries":2}""";

        System.Text.Json.JsonSerializer.Deserialize<RolloutPlanSettings>(stored, System.Text.Json.JsonSerializerOptions.Web)!.MinimumExecuted.ShouldBe(0);
    }

    [Fact]
    public void Given_fields_override_the_defaults_one_by_one()
    {
        var plan = RolloutPlanSettings.From(new RolloutPlan(AutoRollback: true, Retries: 0));

        plan.AutoRollback.ShouldBeTrue();
        plan.Retries.ShouldBe(0);
        plan.Phases.Count.ShouldBe(4);
    }

    [Theory]
    [InlineData("10,5,100", "plan.phases[1].percent")]
    [InlineData("10,10,100", "plan.phases[1].percent")]
    [InlineData("1,10,50", "plan.phases[2].percent")]
    [InlineData("0,100", "plan.phases[0].percent")]
    [InlineData("1,101", "plan.phases[1].percent")]
    public void Phases_must_grow_to_exactly_100(string percents, string field) =>
        Plan(percents).Validate().Keys.ShouldContain(field);

    [Fact]
    public void Out_of_range_numbers_are_named()
    {
        var plan = RolloutPlanSettings.From(new RolloutPlan(
            Phases: [new RolloutPhase(100, TimeSpan.FromSeconds(-1), 1.5, -0.1)],
            MaxConcurrentUpdates: 0,
            PerDeviceTimeout: TimeSpan.Zero,
            Retries: 11));

        plan.Validate().Keys.ShouldBe(
            ["plan.phases[0].minimumSoak", "plan.phases[0].successThreshold", "plan.phases[0].maxFailureRatio", "plan.maxConcurrentUpdates", "plan.perDeviceTimeout", "plan.retries"],
            ignoreOrder: true);
        RolloutPlanSettings.From(new RolloutPlan(Phases: [])).Validate().Keys.ShouldContain("plan.phases");
    }

    [Fact]
    public void Segment_overrides_give_a_region_its_own_pace_and_are_checked_like_phases()
    {
        var plan = Plan("1,10,100") with { SegmentOverrides = [new SegmentOverride("eu-north", [0.5, 5, 100])] };

        plan.Validate().ShouldBeEmpty();
        plan.PercentFor(1, "eu-north").ShouldBe(5);
        plan.PercentFor(1, "us-east").ShouldBe(10);

        (plan with { SegmentOverrides = [new SegmentOverride("eu-north", [5, 100])] }).Validate().Keys.ShouldContain("plan.segmentOverrides[0].percents");
        (plan with { SegmentOverrides = [new SegmentOverride("eu-north", [5, 1, 100])] }).Validate().Keys.ShouldContain("plan.segmentOverrides[0].percents[1]");
        (plan with { SegmentOverrides = [new SegmentOverride("a", [1, 2, 100]), new SegmentOverride("a", [1, 2, 100])] }).Validate().Keys.ShouldContain("plan.segmentOverrides[1].region");
    }

    private static RolloutPlanSettings Plan(string percents) => RolloutPlanSettings.From(new RolloutPlan(
        Phases: [.. percents.Split(',').Select(p => new RolloutPhase(double.Parse(p, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.Zero, 0.9, 0.1))]));
}
