using Fleet.Contracts;

namespace Fleet.Api.Alerts;

/// <summary>Field-level checks of a rule; each error names the field. Applies a valid request to a rule.</summary>
public static class AlertRuleValidation
{
    private const int MaxScopeEntries = 32;
    private const int MaxForSeconds = 7 * 24 * 3600;

    public static Dictionary<string, string[]> Validate(AlertRuleRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > AlertRuleNames.MaxName)
        {
            errors["name"] = [$"is required, 1..{AlertRuleNames.MaxName} characters."];
        }

        var kind = AlertRuleNames.ParseKind(request.Kind);
        if (kind is null)
        {
            errors["kind"] = [$"must be one of {string.Join(", ", AlertRuleNames.Kinds)}."];
        }

        if (AlertRuleNames.ParseSeverity(request.Severity) is null)
        {
            errors["severity"] = [$"must be one of {string.Join(", ", AlertRuleNames.Severities)}."];
        }

        if (request.ForSeconds is < 0 or > MaxForSeconds)
        {
            errors["forSeconds"] = [$"must be from 0 to {MaxForSeconds}."];
        }

        if (request.Value is { } value && !double.IsFinite(value))
        {
            errors["value"] = ["must be a finite number."];
        }

        switch (kind)
        {
            case AlertRuleKind.MetricThreshold:
                if (string.IsNullOrWhiteSpace(request.Metric) || request.Metric.Length > 64)
                {
                    errors["metric"] = ["is required for metric_threshold, 1..64 characters."];
                }

                if (!AlertRuleNames.Ops.Contains(request.Op))
                {
                    errors["op"] = [$"must be one of {string.Join(", ", AlertRuleNames.Ops)}."];
                }

                if (request.Value is null)
                {
                    errors["value"] = ["is required for metric_threshold."];
                }

                break;
            case AlertRuleKind.BatteryLow when request.Value is < 0 or > 100:
                errors["value"] = ["is a battery level from 0 to 100."];
                break;
            case AlertRuleKind.Connectivity when !AlertRuleNames.Statuses.Contains(request.Status):
                errors["status"] = [$"must be one of {string.Join(", ", AlertRuleNames.Statuses)} for connectivity."];
                break;
            case AlertRuleKind.SequenceGaps when request.Value is not (>= 0 and < 1):
                errors["value"] = ["is the ratio of missing readings, from 0 up to (not including) 1."];
                break;
            case AlertRuleKind.RolloutFailureRatio when request.Value is not (null or (> 0 and < 1)):
                errors["value"] = ["is the ratio of failed to finished updates, above 0 and below 1 (default 0.1)."];
                break;
            case AlertRuleKind.BatteryDegradation when request.Value is not (null or (> 1 and <= 100)):
                errors["value"] = ["is how many times the type's normal drain rate alerts, above 1 and at most 100 (default 3)."];
                break;
        }

        if (request.WebhookUrl is { } url
            && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || url.Length > 2048))
        {
            errors["webhookUrl"] = ["must be an absolute http or https URL."];
        }

        ValidateScope(errors, "scope.types", request.Scope?.Types);
        ValidateScope(errors, "scope.regions", request.Scope?.Regions);
        ValidateScope(errors, "scope.hardwareRevisions", request.Scope?.HardwareRevisions);
        ValidateScope(errors, "scope.tags", request.Scope?.Tags);
        return errors;
    }

    /// <summary>Copies a request that passed <see cref="Validate"/> onto <paramref name="rule"/>.</summary>
    public static void Apply(AlertRuleRequest request, AlertRule rule, DateTimeOffset now)
    {
        rule.Name = request.Name!.Trim();
        rule.Kind = AlertRuleNames.ParseKind(request.Kind)!.Value;
        rule.Severity = AlertRuleNames.ParseSeverity(request.Severity)!.Value;
        rule.ScopeTypes = [.. request.Scope?.Types ?? []];
        rule.ScopeRegions = [.. request.Scope?.Regions ?? []];
        rule.ScopeHardwareRevisions = [.. request.Scope?.HardwareRevisions ?? []];
        rule.ScopeTags = [.. request.Scope?.Tags ?? []];
        rule.Metric = rule.Kind == AlertRuleKind.MetricThreshold ? request.Metric : null;
        rule.Op = rule.Kind == AlertRuleKind.MetricThreshold ? request.Op : null;
        rule.Value = rule.Kind switch
        {
            AlertRuleKind.BatteryLow => request.Value ?? AlertConditions.DefaultBatteryLevel,
            AlertRuleKind.BatteryDegradation => request.Value ?? AlertConditions.DefaultDrainFactor,
            AlertRuleKind.RolloutFailureRatio => request.Value ?? AlertConditions.DefaultRolloutFailureRatio,
            AlertRuleKind.Connectivity => null,
            _ => request.Value,
        };
        rule.Status = rule.Kind == AlertRuleKind.Connectivity ? request.Status : null;
        rule.ForSeconds = request.ForSeconds ?? 0;
        rule.Enabled = request.Enabled ?? true;
        rule.WebhookUrl = request.WebhookUrl;
        rule.UpdatedAt = now;
    }

    private static void ValidateScope(Dictionary<string, string[]> errors, string field, IReadOnlyList<string>? values)
    {
        if (values is null)
        {
            return;
        }

        if (values.Count > MaxScopeEntries || values.Any(v => string.IsNullOrWhiteSpace(v) || v.Length > 64))
        {
            errors[field] = [$"holds at most {MaxScopeEntries} non-empty values of up to 64 characters."];
        }
    }
}
