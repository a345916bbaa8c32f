using Fleet.Contracts;

namespace Fleet.Api.Commands;

/// <summary>
/// A command's state on one device: queued → sent → accepted | rejected → completed | failed, or expired while it is
/// still queued or sent. Rejected, completed, failed and expired are final.
/// </summary>
public enum CommandState
{
    Queued,
    Sent,
    Accepted,
    Rejected,
    Completed,
    Failed,
    Expired,
}

/// <summary>What a proposed move does to a delivery.</summary>
public enum CommandMove
{
    /// <summary>The delivery takes the new state.</summary>
    Moved,

    /// <summary>The delivery is in that state already (a repeated report): nothing to store, not an error.</summary>
    Unchanged,

    /// <summary>Not in the lifecycle (backwards, out of a final state, or expired after the device answered).</summary>
    Illegal,
}

/// <summary>
/// The command lifecycle as one pure function. The server moves a delivery to sent (socket send succeeded), failed (no
/// acknowledgement after the last resend) or expired (time-to-live passed, only while queued or sent). Device reports may
/// skip forward — a lost <c>accepted</c> must not strand a <c>completed</c> — but never go back.
/// </summary>
public static class CommandTransitions
{
    /// <summary>States a device may report over its channel.</summary>
    public static IReadOnlyList<CommandState> Reportable { get; } = [CommandState.Accepted, CommandState.Rejected, CommandState.Completed, CommandState.Failed];

    /// <summary>States in which the command still waits for the device (delivered on connect, resent, expired).</summary>
    public static IReadOnlyList<CommandState> Outstanding { get; } = [CommandState.Queued, CommandState.Sent];

    public static bool IsFinal(this CommandState state) =>
        state is CommandState.Rejected or CommandState.Completed or CommandState.Failed or CommandState.Expired;

    public static CommandMove Decide(CommandState from, CommandState to)
    {
        if (from == to)
        {
            return CommandMove.Unchanged;
        }

        if (from.IsFinal())
        {
            return CommandMove.Illegal;
        }

        var allowed = to switch
        {
            CommandState.Queued => false,
            CommandState.Sent => from == CommandState.Queued,
            CommandState.Accepted or CommandState.Rejected => from is CommandState.Queued or CommandState.Sent,
            CommandState.Completed or CommandState.Failed => true,
            CommandState.Expired => from is CommandState.Queued or CommandState.Sent,
            _ => false,
        };
        return allowed ? CommandMove.Moved : CommandMove.Illegal;
    }

    /// <summary>Wire and column names: <see cref="CommandStates"/>.</summary>
    public static string ToName(this CommandState state) => state switch
    {
        CommandState.Queued => CommandStates.Queued,
        CommandState.Sent => CommandStates.Sent,
        CommandState.Accepted => CommandStates.Accepted,
        CommandState.Rejected => CommandStates.Rejected,
        CommandState.Completed => CommandStates.Completed,
        CommandState.Failed => CommandStates.Failed,
        _ => CommandStates.Expired,
    };

    public static bool TryParse(string? name, out CommandState state)
    {
        foreach (var candidate in Enum.GetValues<CommandState>())
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

    public static CommandState Parse(string name) =>
        TryParse(name, out var state) ? state : throw new FormatException($"Unknown command state '{name}'.");
}
