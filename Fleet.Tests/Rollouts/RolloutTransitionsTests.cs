using Fleet.Api.Rollouts;

namespace Fleet.Tests.Rollouts;

public sealed class RolloutTransitionsTests
{
    // Every (state, action) pair for a rollout in phase 1 of 4, not green-first: "-" means refused.
    private static readonly Dictionary<(RolloutState, RolloutAction), string> MidPhase = new()
    {
        [(RolloutState.Draft, RolloutAction.Start)] = "Running@0",
        [(RolloutState.Draft, RolloutAction.Pause)] = "-",
        [(RolloutState.Draft, RolloutAction.Resume)] = "-",
        [(RolloutState.Draft, RolloutAction.Advance)] = "-",
        [(RolloutState.Draft, RolloutAction.Abort)] = "Aborted@1",
        [(RolloutState.Draft, RolloutAction.Rollback)] = "-",
        [(RolloutState.Draft, RolloutAction.Promote)] = "-",
        [(RolloutState.Running, RolloutAction.Start)] = "-",
        [(RolloutState.Running, RolloutAction.Pause)] = "Paused@1",
        [(RolloutState.Running, RolloutAction.Resume)] = "-",
        [(RolloutState.Running, RolloutAction.Advance)] = "Running@2",
        [(RolloutState.Running, RolloutAction.Abort)] = "Aborted@1",
        [(RolloutState.Running, RolloutAction.Rollback)] = "RolledBack@1",
        [(RolloutState.Running, RolloutAction.Promote)] = "-",
        [(RolloutState.Paused, RolloutAction.Start)] = "-",
        [(RolloutState.Paused, RolloutAction.Pause)] = "-",
        [(RolloutState.Paused, RolloutAction.Resume)] = "Running@1",
        [(RolloutState.Paused, RolloutAction.Advance)] = "Running@2",
        [(RolloutState.Paused, RolloutAction.Abort)] = "Aborted@1",
        [(RolloutState.Paused, RolloutAction.Rollback)] = "RolledBack@1",
        [(RolloutState.Paused, RolloutAction.Promote)] = "-",
    };

    public static TheoryData<RolloutState, RolloutAction> AllPairs()
    {
        var data = new TheoryData<RolloutState, RolloutAction>();
        foreach (var state in Enum.GetValues<RolloutState>())
        {
            foreach (var action in Enum.GetValues<RolloutAction>())
            {
                data.Add(state, action);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Every_state_and_action_of_a_mid_phase_rollout_has_the_expected_outcome(RolloutState state, RolloutAction action)
    {
        var expected = MidPhase.GetValueOrDefault((state, action), "-");

        var decision = RolloutTransitions.Decide(new RolloutPosition(state, 1, 4, GreenFirst: false, Promoted: false), action);

        Describe(decision).ShouldBe(expected);
    }

    [Theory]
    [InlineData(RolloutState.Running)]
    [InlineData(RolloutState.Paused)]
    public void Advancing_the_last_phase_completes_the_rollout(RolloutState state) =>
        Describe(RolloutTransitions.Decide(new RolloutPosition(state, 3, 4, false, false), RolloutAction.Advance)).ShouldBe("Completed@3");

    [Fact]
    public void A_green_first_rollout_waits_for_promote_at_its_last_phase_then_starts_over_for_blue()
    {
        var green = new RolloutPosition(RolloutState.Running, 3, 4, GreenFirst: true, Promoted: false);

        RolloutTransitions.Decide(green, RolloutAction.Advance).ShouldBeOfType<RolloutDecision.Refused>().Reason.ShouldContain("promote");
        var promoted = RolloutTransitions.Decide(green, RolloutAction.Promote).ShouldBeOfType<RolloutDecision.Moved>().To;
        promoted.ShouldBe(new RolloutPosition(RolloutState.Running, 0, 4, true, true));

        RolloutTransitions.Decide(promoted, RolloutAction.Promote).ShouldBeOfType<RolloutDecision.Refused>();
        Describe(RolloutTransitions.Decide(promoted with { PhaseIndex = 3 }, RolloutAction.Advance)).ShouldBe("Completed@3");
    }

    [Fact]
    public void A_paused_green_first_rollout_can_be_promoted_and_runs_again() =>
        Describe(RolloutTransitions.Decide(new RolloutPosition(RolloutState.Paused, 2, 4, true, false), RolloutAction.Promote)).ShouldBe("Running@0");

    [Theory]
    [InlineData(RolloutState.Completed)]
    [InlineData(RolloutState.Aborted)]
    [InlineData(RolloutState.RolledBack)]
    public void Finished_rollouts_refuse_every_action(RolloutState state)
    {
        foreach (var action in Enum.GetValues<RolloutAction>())
        {
            RolloutTransitions.Decide(new RolloutPosition(state, 0, 4, true, false), action).ShouldBeOfType<RolloutDecision.Refused>();
        }
    }

    [Fact]
    public void State_names_round_trip()
    {
        foreach (var state in Enum.GetValues<RolloutState>())
        {
            RolloutTransitions.TryParse(state.ToName(), out var parsed).ShouldBeTrue();
            parsed.ShouldBe(state);
        }

        RolloutState.RolledBack.ToName().ShouldBe("rolled-back");
        RolloutTransitions.TryParse("bogus", out _).ShouldBeFalse();
    }

    private static string Describe(RolloutDecision decision) =>
        decision is RolloutDecision.Moved moved ? $"{moved.To.State}@{moved.To.PhaseIndex}" : "-";
}
