namespace Fleet.Api.Alerts;

/// <summary>Where an alert is: firing, seen by an operator, or over.</summary>
public enum AlertState
{
    Open,
    Acknowledged,
    Resolved,
}

/// <summary>What can happen to an alert: operators acknowledge and resolve; the evaluator resolves when the condition clears.</summary>
public enum AlertAction
{
    Acknowledge,
    Resolve,
    Clear,
}

public static class AlertLifecycle
{
    /// <summary>The state after <paramref name="action"/>, or null when the action is not allowed from <paramref name="state"/>.</summary>
    public static AlertState? Next(AlertState state, AlertAction action) => (state, action) switch
    {
        (AlertState.Open, AlertAction.Acknowledge) => AlertState.Acknowledged,
        (AlertState.Open or AlertState.Acknowledged, AlertAction.Resolve or AlertAction.Clear) => AlertState.Resolved,
        _ => null,
    };

    public static string ToName(this AlertState state) => state switch
    {
        AlertState.Open => "open",
        AlertState.Acknowledged => "acknowledged",
        _ => "resolved",
    };

    public static AlertState? ParseState(string? name) => name?.ToLowerInvariant() switch
    {
        "open" => AlertState.Open,
        "acknowledged" => AlertState.Acknowledged,
        "resolved" => AlertState.Resolved,
        _ => null,
    };
}
