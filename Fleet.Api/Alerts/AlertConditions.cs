using System.Globalization;

namespace Fleet.Api.Alerts;

/// <summary>What the evaluator knows of one device when it looks at it.</summary>
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
    long? SequenceMissing);

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

    public static ConditionResult Evaluate(AlertRule rule, DeviceAlertSnapshot device) => rule.Kind switch
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
        AlertRuleKind.SequenceGaps => device is { SequenceExpected: > 0 and var expected, SequenceMissing: { } missing }
            ? new(missing / (double)expected > (rule.Value ?? 0), missing / (double)expected,
                $"{missing} of {expected} readings missing ({missing / (double)expected:P1}, alert above {rule.Value ?? 0:P1})")
            : ConditionResult.Unknown,
        _ => ConditionResult.Unknown,
    };

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
