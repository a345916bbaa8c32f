using Fleet.Api.Commands;
using Fleet.Contracts;

namespace Fleet.Tests.Commands;

public sealed class CommandTransitionsTests
{
    private const CommandState Q = CommandState.Queued;
    private const CommandState S = CommandState.Sent;
    private const CommandState A = CommandState.Accepted;
    private const CommandState R = CommandState.Rejected;
    private const CommandState C = CommandState.Completed;
    private const CommandState F = CommandState.Failed;
    private const CommandState E = CommandState.Expired;

    /// <summary>Every legal move; every other pair of distinct states is illegal, every same-state pair unchanged.</summary>
    private static readonly HashSet<(CommandState From, CommandState To)> Legal =
    [
        (Q, S), (Q, A), (Q, R), (Q, C), (Q, F), (Q, E),
        (S, A), (S, R), (S, C), (S, F), (S, E),
        (A, C), (A, F),
    ];

    public static TheoryData<CommandState, CommandState> AllPairs()
    {
        var data = new TheoryData<CommandState, CommandState>();
        foreach (var from in Enum.GetValues<CommandState>())
        {
            foreach (var to in Enum.GetValues<CommandState>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Every_pair_of_states_is_moved_unchanged_or_illegal_as_the_lifecycle_says(CommandState from, CommandState to)
    {
        var expected = from == to ? CommandMove.Unchanged : Legal.Contains((from, to)) ? CommandMove.Moved : CommandMove.Illegal;
        CommandTransitions.Decide(from, to).ShouldBe(expected);
    }

    [Fact]
    public void Final_states_never_move_and_nothing_goes_back_to_queued()
    {
        foreach (var final in Enum.GetValues<CommandState>().Where(s => s.IsFinal()))
        {
            Enum.GetValues<CommandState>().Where(to => to != final).ShouldAllBe(to => CommandTransitions.Decide(final, to) == CommandMove.Illegal);
        }

        Enum.GetValues<CommandState>().Where(from => from != Q).ShouldAllBe(from => CommandTransitions.Decide(from, Q) == CommandMove.Illegal);
        Enum.GetValues<CommandState>().Where(s => s.IsFinal()).ShouldBe([R, C, F, E], ignoreOrder: true);
    }

    [Fact]
    public void Only_queued_and_sent_can_expire_and_they_are_the_outstanding_states()
    {
        Enum.GetValues<CommandState>().Where(from => CommandTransitions.Decide(from, E) == CommandMove.Moved)
            .ShouldBe(CommandTransitions.Outstanding, ignoreOrder: true);
    }

    [Fact]
    public void A_device_may_report_completed_without_accepted_but_not_accepted_after_completed()
    {
        CommandTransitions.Decide(S, C).ShouldBe(CommandMove.Moved);
        CommandTransitions.Decide(C, A).ShouldBe(CommandMove.Illegal);
        CommandTransitions.Decide(A, R).ShouldBe(CommandMove.Illegal);
    }

    [Fact]
    public void Names_round_trip_and_match_the_wire_contract()
    {
        Enum.GetValues<CommandState>().Select(s => s.ToName()).ShouldBe(
            [CommandStates.Queued, CommandStates.Sent, CommandStates.Accepted, CommandStates.Rejected, CommandStates.Completed, CommandStates.Failed, CommandStates.Expired]);
        foreach (var state in Enum.GetValues<CommandState>())
        {
            CommandTransitions.TryParse(state.ToName().ToUpperInvariant(), out var parsed).ShouldBeTrue();
            parsed.ShouldBe(state);
        }

        CommandTransitions.TryParse("done", out _).ShouldBeFalse();
        CommandTransitions.Reportable.Select(s => s.ToName()).ShouldBe(["accepted", "rejected", "completed", "failed"]);
    }
}
