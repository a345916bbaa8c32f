using System.Globalization;

namespace Fleet.Api.Alerts;

/// <summary>
/// What the evaluator knows of one device when it looks at it. <c>SequenceExpected</c>/<c>SequenceMissing</c> are
/// lifetime counts; <c>LossRatio</c> and <c>DrainPerHour</c> are over the last rate window (<see cref="AlertWindows"/>),
/// <c>DrainNormPerHour</c> the median drain of the device's type.
/// </summary>
public sealed record DeviceAlertSnapshot(
    Guid DeviceId,
    string Type,
    string Region,
    string HardwareRevision,
    IReadOnlyList<string> Tags,
    string Connectivity,
    double? Battery,
    IReadOnlyDictionary<string, double> Metrics,
    long? SequenceExpected,
    long? SequenceMissing,
    double? LossRatio = null,
    double? DrainPerHour = null,
    double? DrainNormPerHour = null);

/// <summary>The outcome of one rule on one device: the condition holds, is clear, or cannot be judged (no data).</summary>
public readonly record struct ConditionResult(bool? Breached, double? Value, string Message)
{
    public static ConditionResult Unknown { get; } = new(null, null, "no data");
}

/// <summary>Pure checks: does this device fall under the rule, and does the rule's condition hold for it now.</summary>
public static class AlertConditions
{
    public const double DefaultBatteryLevel = 20;

    public static bool InScope(AlertRule rule, DeviceAlertSnapshot device) =>
        Matches(rule.ScopeTypes, device.Type)
        && Matches(rule.ScopeRegions, device.Region)
        && Matches(rule.ScopeHardwareRevisions, device.HardwareRevision)
        && (rule.ScopeTags.Count == 0 || rule.ScopeTags.Any(tag => device.Tags.Contains(tag, StringComparer.OrdinalIgnoreCase)));

    /// <summary>rollout_failure_ratio's default: more than one in ten finished updates failed.</summary>
    public const double DefaultRolloutFailureRatio = 0.1;

    /// <summary>A rollout's failure ratio over its finished updates in scope; too few finished to judge is unknown.</summary>
    public static ConditionResult RolloutFailure(AlertRule rule, string rollout, int failed, int finished, int minimumFinished)
    {
        if (finished < Math.Max(1, minimumFinished))
        {
            return ConditionResult.Unknown;
        }

        var ratio = failed / (double)finished;
        var threshold = rule.Value ?? DefaultRolloutFailureRatio;
        return new(ratio > threshold, ratio,
            string.Create(CultureInfo.InvariantCulture, $"rollout {rollout}: {failed} of {finished} finished updates failed ({ratio:P1}, alert above {threshold:P1})"));
    }

    /// <summary>battery_degradation's default: drain more than this many times the type's norm.</summary>
    public const double DefaultDrainFactor = 3;

    public static ConditionResult Evaluate(AlertRule rule, DeviceAlertSnapshot device, double floor = 0.5) => rule.Kind switch
    {
        AlertRuleKind.MetricThreshold => device.Metrics.TryGetValue(rule.Metric ?? "", out var value)
            ? new(Compare(value, rule.Op, rule.Value ?? 0), value, $"{rule.Metric} is {Format(value)} ({rule.Op} {Format(rule.Value ?? 0)})")
            : ConditionResult.Unknown,
        AlertRuleKind.BatteryLow => device.Battery is { } battery
            ? new(battery < (rule.Value ?? DefaultBatteryLevel), battery, $"battery at {Format(battery)}% (alert below {Format(rule.Value ?? DefaultBatteryLevel)}%)")
            : ConditionResult.Unknown,
        AlertRuleKind.Connectivity => device.Connectivity is "unknown"
            ? ConditionResult.Unknown
            : new(IsAtLeast(device.Connectivity, rule.Status ?? "offline"), null, $"device is {device.Connectivity}"),
        AlertRuleKind.SequenceGaps => device.LossRatio is { } loss
            ? new(loss > (rule.Value ?? 0), loss,
                string.Create(CultureInfo.InvariantCulture, $"{loss:P1} of readings missing in the last window (alert above {rule.Value ?? 0:P1})"))
            : ConditionResult.Unknown,
        AlertRuleKind.BatteryDegradation => device is { DrainPerHour: { } drain, DrainNormPerHour: { } norm }
            ? Degradation(drain, norm, rule.Value ?? DefaultDrainFactor, floor)
            : ConditionResult.Unknown,
        _ => ConditionResult.Unknown,
    };

    /// <summary>Drain above factor × the norm (taken as at least <paramref name="floor"/> %/h); the value is the ratio to the norm.</summary>
    private static ConditionResult Degradation(double drain, double norm, double factor, double floor)
    {
        var basis = Math.Max(norm, floor);
        return new(drain > factor * basis, drain / basis,
            $"battery draining at {Format(drain)}%/h, {Format(drain / basis)}× its type's norm of {Format(basis)}%/h (alert above {Format(factor)}×)");
    }

    public static bool Compare(double value, string? op, double threshold) => op switch
    {
        "gt" => value > threshold,
        "gte" => value >= threshold,
        "lt" => value < threshold,
        "lte" => value <= threshold,
        _ => false,
    };

    /// <summary>An at-risk rule also fires for offline devices: offline is at-risk and worse.</summary>
    private static bool IsAtLeast(string connectivity, string wanted) =>
        wanted == "at-risk" ? connectivity is "at-risk" or "offline" : connectivity == "offline";

    private static bool Matches(List<string> allowed, string value) =>
        allowed.Count == 0 || allowed.Contains(value, StringComparer.OrdinalIgnoreCase);

    private static string Format(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
