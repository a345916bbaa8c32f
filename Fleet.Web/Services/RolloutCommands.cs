using Fleet.Contracts;

namespace Fleet.Web.Services;

/// <summary>The operator actions on a rollout, as the API names them in its routes.</summary>
public enum RolloutCommand
{
    Start,
    Pause,
    Resume,
    Advance,
    Abort,
    Rollback,
    Promote,
}

/// <summary>Which rollout actions the UI offers in which state (the API still decides), and what each one does.</summary>
public static class RolloutCommands
{
    /// <summary>The states in which nothing more can happen to a rollout.</summary>
    public static bool IsFinished(string state) => state is "completed" or "aborted" or "rolled-back";

    public static string ToRoute(this RolloutCommand command) => command.ToString().ToLowerInvariant();

    public static IReadOnlyList<RolloutCommand> Offered(RolloutResponse rollout)
    {
        List<RolloutCommand> offered = rollout.State switch
        {
            "draft" => [RolloutCommand.Start, RolloutCommand.Abort],
            "running" => [RolloutCommand.Pause, RolloutCommand.Advance, RolloutCommand.Abort, RolloutCommand.Rollback],
            "paused" => [RolloutCommand.Resume, RolloutCommand.Advance, RolloutCommand.Abort, RolloutCommand.Rollback],
            _ => [],
        };
        if (rollout is { State: "running" or "paused", GreenFirst: true, Promoted: false })
        {
            offered.Insert(offered.IndexOf(RolloutCommand.Abort), RolloutCommand.Promote);
        }

        return offered;
    }

    /// <summary>What the confirm dialog tells the operator before they give a reason.</summary>
    public static string Consequence(RolloutCommand command) => command switch
    {
        RolloutCommand.Start => "Start offering the release to the first phase's devices.",
        RolloutCommand.Pause => "Stop offering the release to more devices. Devices already updating finish their update.",
        RolloutCommand.Resume => "Offer the release again, continuing the current phase.",
        RolloutCommand.Advance => "Move to the next phase now, without waiting for its gate (soak time and thresholds).",
        RolloutCommand.Abort => "Stop the rollout for good. Devices keep the firmware they have now.",
        RolloutCommand.Rollback => "Stop the rollout for good and ask every updated device to go back to its previous firmware.",
        _ => "Release the rollout to blue devices, starting again from the first phase.",
    };

    /// <summary>Destructive actions are drawn in the error colour.</summary>
    public static bool IsDestructive(RolloutCommand command) => command is RolloutCommand.Abort or RolloutCommand.Rollback;
}

/// <summary>The operator actions on an alert.</summary>
public enum AlertCommand
{
    Acknowledge,
    Resolve,
}
