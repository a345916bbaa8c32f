namespace Fleet.Api.Alerts;

public enum AlertMove
{
    None,
    Open,
    Clear,
}

/// <summary>The move to make, when the hold started (null: no hold running), and when to look again if nothing changes.</summary>
public readonly record struct HoldDecision(AlertMove Move, DateTimeOffset? HoldSince, DateTimeOffset? RecheckAt);

/// <summary>
/// Held-back flapping: a condition must hold for the rule's duration before its alert opens, and be clear for as long
/// before the alert resolves by itself. Unknown (no data) stops any hold.
/// </summary>
public static class AlertHold
{
    public static HoldDecision Decide(bool alertActive, bool? breached, DateTimeOffset? holdSince, TimeSpan hold, DateTimeOffset now)
    {
        // The hold runs while the condition disagrees with the alert: breached without an alert, or clear with one.
        if (breached is not { } isBreached || isBreached == alertActive)
        {
            return new HoldDecision(AlertMove.None, null, null);
        }

        var move = alertActive ? AlertMove.Clear : AlertMove.Open;
        var since = holdSince ?? now;
        return now - since >= hold
            ? new HoldDecision(move, null, null)
            : new HoldDecision(AlertMove.None, since, since + hold);
    }
}
