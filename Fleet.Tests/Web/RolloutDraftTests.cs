using Fleet.Contracts;
using Fleet.Web.Services;

namespace Fleet.Tests.Web;

/// <summary>The wizard's model: each step's checks mirror the API's, and the request it builds is the API's shape.</summary>
public sealed class RolloutDraftTests
{
    [Fact]
    public void The_default_plan_is_valid_and_becomes_ratios_and_durations_for_the_API()
    {
        var draft = new RolloutDraft { ReleaseId = Guid.NewGuid(), DeviceTypes = "meter, tracker,meter", Regions = " eu-west " };

        draft.Validate(RolloutWizardStep.Review).ShouldBeEmpty();
        var request = draft.ToRequest();

        request.Target!.DeviceTypes.ShouldBe(["meter", "tracker"]);
        request.Target.Regions.ShouldBe(["eu-west"]);
        request.Target.HardwareRevisions.ShouldBeNull();
        request.Target.Environment.ShouldBeNull();
        var phases = request.Plan!.Phases!;
        phases.Select(phase => phase.Percent).ShouldBe([1, 10, 50, 100]);
        phases[0].MinimumSoak.ShouldBe(TimeSpan.FromMinutes(10));
        (phases[0].SuccessThreshold, phases[0].MaxFailureRatio).ShouldBe((0.95, 0.05));
        request.Plan.PerDeviceTimeout.ShouldBe(TimeSpan.FromMinutes(15));
        request.Plan.MinimumExecuted.ShouldBe(1);
        request.Name.ShouldBeNull();
    }

    [Fact]
    public void A_minimum_of_finished_devices_above_the_target_is_explained_and_a_negative_one_named()
    {
        var draft = new RolloutDraft { MinimumExecuted = 20, CompatibleDevices = 12 };

        draft.Validate(RolloutWizardStep.Options).ShouldBeEmpty();
        draft.MinimumExecutedNote().ShouldBe("More than the 12 devices the target holds: each gate will wait for every device of its phase to finish.");
        draft.ToRequest().Plan!.MinimumExecuted.ShouldBe(20);

        draft.MinimumExecuted = 12;
        draft.MinimumExecutedNote().ShouldBeNull();
        draft.MinimumExecuted = -1;
        draft.Validate(RolloutWizardStep.Options).Keys.ShouldBe(["minimumExecuted"]);
    }

    [Fact]
    public void A_release_is_required_before_the_first_step_is_done()
    {
        new RolloutDraft().Validate(RolloutWizardStep.Release).Keys.ShouldBe(["releaseId"]);
    }

    [Fact]
    public void Phases_that_shrink_exceed_the_range_or_stop_short_of_100_are_named_by_phase()
    {
        var draft = new RolloutDraft
        {
            Phases =
            [
                new() { Percent = 10 },
                new() { Percent = 5 },
                new() { Percent = 50, SoakMinutes = -1, SuccessPercent = 120 },
                new() { Percent = 90, MaxFailurePercent = -3 },
            ],
        };

        var errors = draft.Validate(RolloutWizardStep.Phases);

        errors.Keys.Order().ShouldBe(["phases[1].percent", "phases[2].soak", "phases[2].success", "phases[3].failure", "phases[3].percent"]);
        errors["phases[1].percent"].ShouldContain("Larger than the phase before");
        errors["phases[3].percent"].ShouldContain("last phase is 100");
    }

    [Fact]
    public void A_percent_outside_1_to_100_a_negative_soak_and_a_healthy_threshold_of_0_are_refused_not_clamped()
    {
        var draft = new RolloutDraft
        {
            Phases =
            [
                new() { Percent = 0.5 },
                new() { Percent = 10, SoakMinutes = -1 },
                new() { Percent = 50, SuccessPercent = 0 },
                new() { Percent = 101 },
            ],
        };

        var errors = draft.Validate(RolloutWizardStep.Phases);

        errors.ShouldBe(new Dictionary<string, string>
        {
            ["phases[0].percent"] = "From 1 to 100 %.",
            ["phases[1].soak"] = "A soak cannot be negative: 0 minutes or more.",
            ["phases[2].success"] = "Above 0 and at most 100 %: a gate that needs no healthy device passes anything.",
            ["phases[3].percent"] = "From 1 to 100 %.",
        }, ignoreOrder: true);
        (draft.Phases[0].Percent, draft.Phases[1].SoakMinutes, draft.Phases[2].SuccessPercent, draft.Phases[3].Percent).ShouldBe((0.5, -1, 0, 101));
    }

    [Fact]
    public void A_target_no_device_can_take_is_refused_once_the_preview_says_so()
    {
        var draft = new RolloutDraft();

        draft.Validate(RolloutWizardStep.Target).ShouldBeEmpty();
        draft.CompatibleDevices = 0;
        draft.Validate(RolloutWizardStep.Target).Keys.ShouldBe(["target"]);
        draft.CompatibleDevices = 3;
        draft.Validate(RolloutWizardStep.Target).ShouldBeEmpty();
    }

    [Fact]
    public void An_empty_plan_and_a_soak_beyond_30_days_are_refused()
    {
        new RolloutDraft { Phases = [] }.Validate(RolloutWizardStep.Phases).Keys.ShouldBe(["phases"]);
        new RolloutDraft { Phases = [new() { Percent = 100, SoakMinutes = double.MaxValue }] }.Validate(RolloutWizardStep.Phases).Keys.ShouldBe(["phases[0].soak"]);
    }

    [Fact]
    public void Green_first_with_one_environment_is_refused_on_the_target_step()
    {
        var draft = new RolloutDraft { GreenFirst = true, Environment = "green" };

        draft.Validate(RolloutWizardStep.Target).Keys.ShouldBe(["greenFirst"]);
        draft.Environment = "";
        draft.Validate(RolloutWizardStep.Target).ShouldBeEmpty();
    }

    [Fact]
    public void Options_outside_the_APIs_limits_are_named()
    {
        var draft = new RolloutDraft { Name = new string('n', 129), MaxConcurrentUpdates = 0, PerDeviceTimeoutMinutes = 0, Retries = 11 };

        draft.Validate(RolloutWizardStep.Options).Keys.Order().ShouldBe(["maxConcurrentUpdates", "name", "perDeviceTimeout", "retries"]);
    }

    [Fact]
    public void Review_gathers_the_problems_of_every_step()
    {
        var draft = new RolloutDraft { Retries = -1, Phases = [new() { Percent = 50 }] };

        draft.Validate(RolloutWizardStep.Review).Keys.Order().ShouldBe(["phases[0].percent", "releaseId", "retries"]);
    }

    [Fact]
    public void Adding_a_phase_inserts_it_before_the_last_so_the_plan_still_ends_at_100()
    {
        var draft = new RolloutDraft { Phases = [new() { Percent = 100 }] };

        draft.AddPhase();

        draft.Phases.Select(phase => phase.Percent).ShouldBe([1, 100]);
    }

    [Fact]
    public void At_least_k_per_stratum_is_left_to_the_API_when_empty_and_checked_against_the_range_and_the_previews_smallest_stratum()
    {
        var draft = new RolloutDraft { ReleaseId = Guid.NewGuid(), SmallestStratum = new StratumSize("rev-c", "ap-south", 2) };
        draft.Validate(RolloutWizardStep.Phases).ShouldBeEmpty();
        draft.ToRequest().Plan!.MinPerStratum.ShouldBeNull();

        draft.MinPerStratum = 3;
        draft.Validate(RolloutWizardStep.Phases)["minPerStratum"].ShouldStartWith("rev-c × ap-south has 2 devices in the target: at most 2");
        draft.MinPerStratum = -1;
        draft.Validate(RolloutWizardStep.Phases)["minPerStratum"].ShouldBe("From 0 (off) to 1000.");
        draft.MinPerStratum = 2;
        draft.Validate(RolloutWizardStep.Review).ShouldBeEmpty();
        draft.ToRequest().Plan!.MinPerStratum.ShouldBe(2);
    }
}
