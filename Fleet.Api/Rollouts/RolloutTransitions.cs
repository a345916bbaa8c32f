namespace Fleet.Api.Rollouts;

/// <summary>Where a rollout is: draft → running ⇄ paused → completed | aborted | rolled back.</summary>
public enum RolloutState
{
    Draft,
    Running,
    Paused,
    Completed,
    Aborted,
    RolledBack,
}

/// <summary>What an operator (or the controller) can ask of a rollout.</summary>
public enum RolloutAction
{
    Start,
    Pause,
    Resume,
    Advance,
    Abort,
    Rollback,
    Promote,
}

/// <summary>The part of a rollout its transitions depend on.</summary>
public sealed record RolloutPosition(RolloutState State, int PhaseIndex, int PhaseCount, bool GreenFirst, bool Promoted);

/// <summary>The answer of <see cref="RolloutTransitions.Decide"/>: the new position, or why not.</summary>
public abstract record RolloutDecision
{
    public sealed record Moved(RolloutPosition To) : RolloutDecision;

    public sealed record Refused(string Reason) : RolloutDecision;
}

/// <summary>
/// The rollout lifecycle as one pure function. Advancing past the last phase completes the rollout, except
/// for a green-first rollout that has not been promoted yet: it waits for promote, which releases it to blue
/// devices starting again from the first phase. Completed, aborted and rolled back are terminal.
/// </summary>
public static class RolloutTransitions
{
    public static RolloutDecision Decide(RolloutPosition position, RolloutAction action)
    {
        if (position.State is RolloutState.Completed or RolloutState.Aborted or RolloutState.RolledBack)
        {
            return new RolloutDecision.Refused($"The rollout is {position.State.ToName()}; nothing more can happen to it.");
        }

        var active = position.State is RolloutState.Running or RolloutState.Paused;
        return action switch
        {
            RolloutAction.Start when position.State == RolloutState.Draft => Move(position with { State = RolloutState.Running, PhaseIndex = 0 }),
            RolloutAction.Pause when position.State == RolloutState.Running => Move(position with { State = RolloutState.Paused }),
            RolloutAction.Resume when position.State == RolloutState.Paused => Move(position with { State = RolloutState.Running }),
            RolloutAction.Advance when active && position.PhaseIndex < position.PhaseCount - 1 =>
                Move(position with { State = RolloutState.Running, PhaseIndex = position.PhaseIndex + 1 }),
            RolloutAction.Advance when active && position.GreenFirst && !position.Promoted =>
                new RolloutDecision.Refused("Green devices are at the last phase; promote the rollout to release it to blue devices."),
            RolloutAction.Advance when active => Move(position with { State = RolloutState.Completed }),
            RolloutAction.Abort => Move(position with { State = RolloutState.Aborted }),
            RolloutAction.Rollback when active => Move(position with { State = RolloutState.RolledBack }),
            RolloutAction.Promote when active && position.GreenFirst && !position.Promoted =>
                Move(position with { State = RolloutState.Running, PhaseIndex = 0, Promoted = true }),
            RolloutAction.Promote when active => new RolloutDecision.Refused(position.GreenFirst
                ? "The rollout was promoted already."
                : "Only a green-first rollout can be promoted."),
            _ => new RolloutDecision.Refused($"A {position.State.ToName()} rollout cannot {action.ToName()}."),
        };
    }

    private static RolloutDecision.Moved Move(RolloutPosition to) => new(to);

    /// <summary>Wire names: <c>draft</c>, <c>running</c>, <c>paused</c>, <c>completed</c>, <c>aborted</c>, <c>rolled-back</c>.</summary>
    public static string ToName(this RolloutState state) => state == RolloutState.RolledBack ? "rolled-back" : state.ToString().ToLowerInvariant();

    public static string ToName(this RolloutAction action) => action.ToString().ToLowerInvariant();

    public static bool TryParse(string? name, out RolloutState state)
    {
        foreach (var candidate in Enum.GetValues<RolloutState>())
        {
            if (string.Equals(name, candidate.ToName(), StringComparison.OrdinalIgnoreCase))
            {
                state = candidate;
                return true;
            }
        }

        state = default;
        return false;
    }
}
