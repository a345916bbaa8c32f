using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Api.Alerts;

public enum AlertRuleKind
{
    MetricThreshold,
    BatteryLow,
    Connectivity,
    SequenceGaps,
    BatteryDegradation,
    RolloutFailureRatio,
}

public enum AlertSeverity
{
    Info,
    Warning,
    Critical,
}

/// <summary>A condition operators want to hear about, over a segment of the fleet or all of it.</summary>
public sealed class AlertRule
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public AlertRuleKind Kind { get; set; }

    public AlertSeverity Severity { get; set; }

    public List<string> ScopeTypes { get; set; } = [];

    public List<string> ScopeRegions { get; set; } = [];

    public List<string> ScopeHardwareRevisions { get; set; } = [];

    public List<string> ScopeTags { get; set; } = [];

    /// <summary>Metric name for <see cref="AlertRuleKind.MetricThreshold"/>.</summary>
    public string? Metric { get; set; }

    /// <summary>Comparison for thresholds: gt, gte, lt, lte.</summary>
    public string? Op { get; set; }

    public double? Value { get; set; }

    /// <summary>at-risk or offline, for <see cref="AlertRuleKind.Connectivity"/>.</summary>
    public string? Status { get; set; }

    public int ForSeconds { get; set; }

    public bool Enabled { get; set; } = true;

    public string? WebhookUrl { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public AlertScope Scope => new(ScopeTypes, ScopeRegions, ScopeHardwareRevisions, ScopeTags);
}

internal sealed class AlertRuleConfiguration : IEntityTypeConfiguration<AlertRule>
{
    public void Configure(EntityTypeBuilder<AlertRule> rule)
    {
        rule.ToTable("alert_rules");
        rule.HasKey(r => r.Id);
        rule.Property(r => r.Name).HasMaxLength(AlertRuleNames.MaxName);
        rule.Property(r => r.Kind).HasConversion(k => AlertRuleNames.KindName(k), name => AlertRuleNames.ParseKind(name)!.Value).HasMaxLength(32);
        rule.Property(r => r.Severity).HasConversion(s => AlertRuleNames.SeverityName(s), name => AlertRuleNames.ParseSeverity(name)!.Value).HasMaxLength(16);
        rule.Property(r => r.Metric).HasMaxLength(64);
        rule.Property(r => r.Op).HasMaxLength(8);
        rule.Property(r => r.Status).HasMaxLength(16);
        rule.Property(r => r.WebhookUrl).HasMaxLength(2048);
    }
}

/// <summary>Wire names of rule kinds, severities and comparisons.</summary>
public static class AlertRuleNames
{
    public const int MaxName = 128;

    public static readonly IReadOnlyList<string> Kinds = ["metric_threshold", "battery_low", "connectivity", "sequence_gaps", "battery_degradation", "rollout_failure_ratio"];
    public static readonly IReadOnlyList<string> Severities = ["info", "warning", "critical"];
    public static readonly IReadOnlyList<string> Ops = ["gt", "gte", "lt", "lte"];
    public static readonly IReadOnlyList<string> Statuses = ["at-risk", "offline"];

    public static string KindName(AlertRuleKind kind) => Kinds[(int)kind];

    public static AlertRuleKind? ParseKind(string? name) => Kinds.IndexOf(name ?? "") is var i and >= 0 ? (AlertRuleKind)i : null;

    public static string SeverityName(AlertSeverity severity) => Severities[(int)severity];

    public static AlertSeverity? ParseSeverity(string? name) => Severities.IndexOf(name ?? "") is var i and >= 0 ? (AlertSeverity)i : null;

    private static int IndexOf(this IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}
