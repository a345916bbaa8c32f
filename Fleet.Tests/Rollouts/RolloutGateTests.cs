using Fleet.Api.Rollouts;
using Fleet.Contracts;

namespace Fleet.Tests.Rollouts;

public sealed class RolloutGateTests
{
    private static readonly RolloutPhase Canary = new(1, TimeSpan.FromMinutes(10), SuccessThreshold: 0.9, MaxFailureRatio: 0.1);

    private static GateInput Input(
        TimeSpan? soak = null, int cohort = 100, int healthy = 100, int failed = 0, int inFlight = 0,
        HealthSample? updated = null, HealthSample? notUpdated = null) =>
        new(Canary, soak ?? TimeSpan.FromMinutes(11), cohort, healthy, failed, inFlight,
            updated ?? new HealthSample(healthy, 2), notUpdated ?? new HealthSample(900, 18));

    [Fact]
    public void A_healthy_phase_after_its_soak_passes_with_its_numbers()
    {
        var result = RolloutGate.Evaluate(Input());

        result.Verdict.ShouldBe(GateVerdict.Pass);
        result.SuccessRatio.ShouldBe(1);
        result.FailureRatio.ShouldBe(0);
        result.Alpha.ShouldBe(0.05 / 3, tolerance: 1e-12);
        result.PValue!.Value.ShouldBeGreaterThan(0.05);
        result.Health.Select(h => h.Signal).ShouldBe(["offline", "rebooted", "erroring"]);
        result.Health.ShouldAllBe(h => !h.Significant);
    }

    [Fact]
    public void Before_the_soak_ends_a_healthy_phase_waits()
    {
        var result = RolloutGate.Evaluate(Input(soak: TimeSpan.FromMinutes(9)));

        result.Verdict.ShouldBe(GateVerdict.Wait);
        result.Reasons.ShouldContain(r => r.Contains("soaking"));
    }

    [Fact]
    public void Too_few_successes_wait_rather_than_breach()
    {
        var result = RolloutGate.Evaluate(Input(healthy: 80, inFlight: 20));

        result.Verdict.ShouldBe(GateVerdict.Wait);
        result.SuccessRatio.ShouldBe(0.8);
    }

    [Fact]
    public void Failures_above_the_maximum_breach_even_during_the_soak()
    {
        var result = RolloutGate.Evaluate(Input(soak: TimeSpan.Zero, healthy: 60, failed: 11, inFlight: 29));

        result.Verdict.ShouldBe(GateVerdict.Breach);
        result.FailureRatio.ShouldBe(0.11);
        result.Reasons.ShouldContain(r => r.Contains("failure ratio"));
    }

    [Fact]
    public void A_phase_whose_devices_have_not_all_started_waits()
    {
        var result = RolloutGate.Evaluate(Input() with { NotYetEnrolled = 3 });

        result.Verdict.ShouldBe(GateVerdict.Wait);
        result.Reasons.ShouldContain(r => r.Contains("3 devices"));
    }

    [Fact]
    public void Failures_at_the_maximum_do_not_breach() =>
        RolloutGate.Evaluate(Input(healthy: 90, failed: 10)).Verdict.ShouldBe(GateVerdict.Pass);

    [Fact]
    public void Updated_devices_offline_significantly_more_often_breach_by_the_z_test()
    {
        var result = RolloutGate.Evaluate(Input(cohort: 200, healthy: 200, updated: new HealthSample(200, 40), notUpdated: new HealthSample(800, 16)));

        result.Verdict.ShouldBe(GateVerdict.Breach);
        result.Test.ShouldBe(RolloutGate.ZTest);
        result.Statistic!.Value.ShouldBeGreaterThan(1.645);
        result.PValue!.Value.ShouldBeLessThan(0.05);
        result.UpdatedSignificantlyLessHealthy.ShouldBeTrue();
    }

    [Theory]
    [InlineData(HealthSignal.Rebooted, "rebooting")]
    [InlineData(HealthSignal.Erroring, "reporting errors")]
    public void Updated_devices_rebooting_or_erring_significantly_more_often_breach_on_that_signal(HealthSignal signal, string reason)
    {
        HealthSample Sample(int devices, int affected) => signal == HealthSignal.Rebooted
            ? new HealthSample(devices, 0, Rebooted: affected)
            : new HealthSample(devices, 0, Erroring: affected);

        var result = RolloutGate.Evaluate(Input(cohort: 200, healthy: 200, updated: Sample(200, 30), notUpdated: Sample(800, 12)));

        result.Verdict.ShouldBe(GateVerdict.Breach);
        result.Reasons.ShouldContain(r => r.Contains($"{reason} more often"));
        var compared = result.Health.Single(h => string.Equals(h.Signal, signal.ToString(), StringComparison.OrdinalIgnoreCase));
        compared.ShouldBe(new GateHealthComparison(compared.Signal, 200, 30, 800, 12, RolloutGate.ZTest, compared.Statistic, compared.PValue, RolloutGate.Alpha, true));
        compared.PValue!.Value.ShouldBeLessThan(RolloutGate.Alpha);
        result.PValue!.Value.ShouldBeGreaterThan(RolloutGate.Alpha, "the offline comparison saw nothing");
        result.UpdatedSignificantlyLessHealthy.ShouldBeTrue();
    }

    [Fact]
    public void A_difference_significant_at_five_percent_alone_passes_the_corrected_alpha_of_three_tests()
    {
        var result = RolloutGate.Evaluate(Input(cohort: 300, healthy: 300, updated: new HealthSample(300, 18), notUpdated: new HealthSample(900, 30)));

        result.PValue!.Value.ShouldBeInRange(RolloutGate.Alpha, RolloutGate.FamilyAlpha);
        result.Verdict.ShouldBe(GateVerdict.Pass);
    }

    [Fact]
    public void A_small_difference_is_not_significant() =>
        RolloutGate.Evaluate(Input(updated: new HealthSample(100, 12), notUpdated: new HealthSample(900, 90))).Verdict.ShouldBe(GateVerdict.Pass);

    [Fact]
    public void Updated_devices_healthier_than_the_rest_never_breach() =>
        RolloutGate.Evaluate(Input(updated: new HealthSample(100, 0), notUpdated: new HealthSample(900, 300))).Verdict.ShouldBe(GateVerdict.Pass);

    [Fact]
    public void Small_counts_use_fishers_exact_test()
    {
        var result = RolloutGate.Evaluate(Input(cohort: 5, healthy: 5, updated: new HealthSample(5, 3), notUpdated: new HealthSample(200, 2)));

        result.Test.ShouldBe(RolloutGate.FisherTest);
        result.Statistic.ShouldBeNull();
        result.Verdict.ShouldBe(GateVerdict.Breach);
    }

    [Fact]
    public void Without_devices_left_to_compare_with_there_is_no_test()
    {
        var result = RolloutGate.Evaluate(Input(notUpdated: new HealthSample(0, 0)));

        result.Test.ShouldBe(RolloutGate.NoTest);
        result.PValue.ShouldBeNull();
        result.Verdict.ShouldBe(GateVerdict.Pass);
    }

    [Fact]
    public void An_empty_phase_passes_once_soaked() =>
        RolloutGate.Evaluate(Input(cohort: 0, healthy: 0, updated: new HealthSample(0, 0))).Verdict.ShouldBe(GateVerdict.Pass);

    [Fact]
    public void A_breach_on_fewer_finished_devices_than_the_minimum_is_held_back_as_a_wait()
    {
        // 3 failed of 20 started is above the maximum, but only 3 finished of the 10 the plan asks for.
        var result = RolloutGate.Evaluate(Input(cohort: 20, healthy: 0, failed: 3, inFlight: 17, updated: new HealthSample(0, 0)) with { MinimumExecuted = 10 });

        result.Verdict.ShouldBe(GateVerdict.Wait);
        result.Withheld.ShouldBe(GateVerdict.Breach);
        result.Reasons[0].ShouldBe("waiting: 3 of 10 finished devices; a breach is held back until then");
        result.Reasons.ShouldContain(r => r.Contains("failure ratio"));
    }

    [Fact]
    public void A_pass_on_fewer_finished_devices_than_the_minimum_is_held_back_as_a_wait()
    {
        // Success threshold 0: a pass would come with nothing finished at all.
        var phase = Canary with { SuccessThreshold = 0 };
        var result = RolloutGate.Evaluate(Input(cohort: 40, healthy: 9, inFlight: 31, updated: new HealthSample(9, 0)) with { Phase = phase, MinimumExecuted = 10 });

        result.Verdict.ShouldBe(GateVerdict.Wait);
        result.Withheld.ShouldBe(GateVerdict.Pass);
        result.Reasons[0].ShouldBe("waiting: 9 of 10 finished devices; a pass is held back until then");
        result.Reasons.ShouldNotContain(r => r.StartsWith("soak elapsed", StringComparison.Ordinal));
    }

    [Fact]
    public void At_the_minimum_the_gate_breaches_and_passes()
    {
        var breach = RolloutGate.Evaluate(Input(cohort: 20, healthy: 7, failed: 3, inFlight: 10, updated: new HealthSample(7, 0)) with { MinimumExecuted = 10 });
        var pass = RolloutGate.Evaluate(Input(cohort: 10, healthy: 10, updated: new HealthSample(10, 0)) with { MinimumExecuted = 10 });

        breach.Verdict.ShouldBe(GateVerdict.Breach);
        pass.Verdict.ShouldBe(GateVerdict.Pass);
        new[] { breach, pass }.ShouldAllBe(r => r.Withheld == null && r.Input.RequiredFinished == 10 && !r.Reasons.Any(reason => reason.StartsWith("waiting", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_wait_for_another_reason_says_too_few_finished_but_holds_nothing_back()
    {
        var result = RolloutGate.Evaluate(Input(soak: TimeSpan.FromMinutes(1), cohort: 40, healthy: 5, inFlight: 35, updated: new HealthSample(5, 0)) with { MinimumExecuted = 10 });

        result.Verdict.ShouldBe(GateVerdict.Wait);
        result.Withheld.ShouldBeNull();
        result.Reasons.ShouldContain("waiting: 5 of 10 finished devices");
    }

    [Fact]
    public void A_phase_holding_fewer_devices_than_the_minimum_decides_once_all_of_them_finished()
    {
        var waiting = RolloutGate.Evaluate(Input(cohort: 4, healthy: 3, inFlight: 1, updated: new HealthSample(3, 0)) with { Phase = Canary with { SuccessThreshold = 0.5 }, MinimumExecuted = 10 });
        var done = RolloutGate.Evaluate(Input(cohort: 4, healthy: 4, updated: new HealthSample(4, 0)) with { MinimumExecuted = 10 });

        waiting.Verdict.ShouldBe(GateVerdict.Wait);
        waiting.Withheld.ShouldBe(GateVerdict.Pass);
        waiting.Reasons[0].ShouldStartWith("waiting: 3 of 4 finished devices (all the phase holds; the plan asks for 10)");
        done.Verdict.ShouldBe(GateVerdict.Pass);
        done.Input.RequiredFinished.ShouldBe(4);
    }

    [Fact]
    public void Statistics_match_textbook_values()
    {
        Statistics.NormalCdf(0).ShouldBe(0.5, tolerance: 1e-7);
        Statistics.NormalCdf(1.959964).ShouldBe(0.975, tolerance: 1e-6);
        Statistics.NormalCdf(-1.644854).ShouldBe(0.05, tolerance: 1e-6);
        Statistics.TwoProportionZ(30, 100, 10, 100).ShouldBe(3.5355, tolerance: 1e-4);
        // Fisher's lady tasting tea: 3 of 4 right, one-sided p = 17/70.
        Statistics.FisherExactGreater(3, 4, 1, 4).ShouldBe(17.0 / 70, tolerance: 1e-12);
        Statistics.FisherExactGreater(0, 4, 4, 4).ShouldBe(1, tolerance: 1e-12);
    }
}
