using Fleet.Contracts;

namespace Fleet.Web.Services;

/// <summary>The alert rule editor's fields; checked like the API checks a rule, turned into its request on save.</summary>
public sealed class AlertRuleForm
{
    public static readonly IReadOnlyList<string> Kinds = ["metric_threshold", "battery_low", "connectivity", "sequence_gaps", "battery_degradation", "rollout_failure_ratio"];
    public static readonly IReadOnlyList<string> Severities = ["info", "warning", "critical"];
    public static readonly IReadOnlyList<string> Ops = ["gt", "gte", "lt", "lte"];
    public static readonly IReadOnlyList<string> Statuses = ["at-risk", "offline"];

    public string Name { get; set; } = "";

    public string Kind { get; set; } = "battery_low";

    public string Severity { get; set; } = "warning";

    public string Metric { get; set; } = "";

    public string Op { get; set; } = "gt";

    public double? Value { get; set; }

    public string Status { get; set; } = "offline";

    public int ForSeconds { get; set; }

    public bool Enabled { get; set; } = true;

    public string Types { get; set; } = "";

    public string Regions { get; set; } = "";

    public string HardwareRevisions { get; set; } = "";

    public string Tags { get; set; } = "";

    public string WebhookUrl { get; set; } = "";

    public static AlertRuleForm From(AlertRuleResponse rule) => new()
    {
        Name = rule.Name,
        Kind = rule.Kind,
        Severity = rule.Severity,
        Metric = rule.Metric ?? "",
        Op = rule.Op ?? "gt",
        Value = rule.Value,
        Status = rule.Status ?? "offline",
        ForSeconds = rule.ForSeconds,
        Enabled = rule.Enabled,
        Types = string.Join(", ", rule.Scope.Types ?? []),
        Regions = string.Join(", ", rule.Scope.Regions ?? []),
        HardwareRevisions = string.Join(", ", rule.Scope.HardwareRevisions ?? []),
        Tags = string.Join(", ", rule.Scope.Tags ?? []),
        WebhookUrl = rule.WebhookUrl ?? "",
    };

    /// <summary>Problems keyed by the API's field names.</summary>
    public Dictionary<string, string> Validate()
    {
        var errors = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 128)
        {
            errors["name"] = "A name is required (up to 128 characters).";
        }

        if (ForSeconds is < 0 or > 7 * 24 * 3600)
        {
            errors["forSeconds"] = "From 0 seconds to 7 days.";
        }

        switch (Kind)
        {
            case "metric_threshold":
                if (string.IsNullOrWhiteSpace(Metric) || Metric.Length > 64)
                {
                    errors["metric"] = "Name the metric (up to 64 characters).";
                }

                if (Value is null || !double.IsFinite(Value.Value))
                {
                    errors["value"] = "A threshold is required.";
                }

                break;
            case "battery_low" when Value is < 0 or > 100:
                errors["value"] = "A battery level from 0 to 100 %.";
                break;
            case "sequence_gaps" when Value is not (>= 0 and < 1):
                errors["value"] = "The ratio of missing readings, from 0 up to (not including) 1.";
                break;
            case "battery_degradation" when Value is not (null or (> 1 and <= 100)):
                errors["value"] = "How many times its type's normal drain: above 1, at most 100 (default 3).";
                break;
            case "rollout_failure_ratio" when Value is not (null or (> 0 and < 1)):
                errors["value"] = "The ratio of failed to finished updates, above 0 and below 1 (default 0.1).";
                break;
        }

        if (!string.IsNullOrWhiteSpace(WebhookUrl)
            && (!Uri.TryCreate(WebhookUrl.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            errors["webhookUrl"] = "An absolute http or https URL.";
        }

        return errors;
    }

    public AlertRuleRequest ToRequest() => new(
        Name.Trim(),
        Kind,
        Severity,
        new AlertScope(List(Types), List(Regions), List(HardwareRevisions), List(Tags)),
        Kind == "metric_threshold" ? Metric.Trim() : null,
        Kind == "metric_threshold" ? Op : null,
        Kind == "connectivity" ? null : Value,
        Kind == "connectivity" ? Status : null,
        ForSeconds,
        Enabled,
        string.IsNullOrWhiteSpace(WebhookUrl) ? null : WebhookUrl.Trim());

    /// <summary>How a rule reads in the list: "battery below 20 %", "temperature gt 40", "offline".</summary>
    public static string Condition(AlertRuleResponse rule) => rule.Kind switch
    {
        "metric_threshold" => $"{rule.Metric} {rule.Op} {rule.Value?.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
        "battery_low" => $"battery below {rule.Value?.ToString(System.Globalization.CultureInfo.InvariantCulture)} %",
        "connectivity" => $"device {rule.Status}",
        "sequence_gaps" => $"missing readings above {rule.Value?.ToString("P0", System.Globalization.CultureInfo.InvariantCulture)}",
        "battery_degradation" => $"battery drain above {rule.Value?.ToString(System.Globalization.CultureInfo.InvariantCulture)}× its type's norm",
        "rollout_failure_ratio" => $"rollout failures above {rule.Value?.ToString("P0", System.Globalization.CultureInfo.InvariantCulture)}",
        _ => rule.Kind,
    };

    private static IReadOnlyList<string>? List(string values) => FirmwareUploadForm.Split(values) is { Count: > 0 } list ? list : null;
}
