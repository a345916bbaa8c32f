using Fleet.Api.Devices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Fleet.Api.Alerts;

/// <summary>
/// A rule firing for a device, or for a rollout (<c>rollout_failure_ratio</c>). At most one per (rule, device) and
/// per (rule, rollout) is open or acknowledged at a time.
/// </summary>
public sealed class Alert
{
    public Guid Id { get; set; }

    public Guid RuleId { get; set; }

    public Guid? DeviceId { get; set; }

    public Guid? RolloutId { get; set; }

    public AlertSeverity Severity { get; set; }

    public AlertState State { get; set; }

    public required string Message { get; set; }

    public double? Value { get; set; }

    public DateTimeOffset OpenedAt { get; set; }

    public DateTimeOffset? AcknowledgedAt { get; set; }

    public string? AcknowledgedBy { get; set; }

    public string? AcknowledgeNote { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }

    public string? ResolvedBy { get; set; }

    public string? ResolveNote { get; set; }
}

/// <summary>Every change of an alert's state: who, when, why.</summary>
public sealed class AlertTransition
{
    public long Id { get; set; }

    public Guid AlertId { get; set; }

    public DateTimeOffset At { get; set; }

    public AlertState? FromState { get; set; }

    public AlertState ToState { get; set; }

    public required string By { get; set; }

    public string? Note { get; set; }
}

internal sealed class AlertConfiguration : IEntityTypeConfiguration<Alert>
{
    public void Configure(EntityTypeBuilder<Alert> alert)
    {
        alert.ToTable("alerts");
        alert.HasKey(a => a.Id);
        alert.Property(a => a.Severity).HasConversion(s => AlertRuleNames.SeverityName(s), name => AlertRuleNames.ParseSeverity(name)!.Value).HasMaxLength(16);
        alert.Property(a => a.State).HasConversion(AlertStateConverter.Instance).HasMaxLength(16);
        alert.Property(a => a.Message).HasMaxLength(512);
        alert.Property(a => a.AcknowledgedBy).HasMaxLength(AlertLimits.By);
        alert.Property(a => a.AcknowledgeNote).HasMaxLength(AlertLimits.Note);
        alert.Property(a => a.ResolvedBy).HasMaxLength(AlertLimits.By);
        alert.Property(a => a.ResolveNote).HasMaxLength(AlertLimits.Note);
        // One active alert per (rule, device): the evaluator's insert relies on this index to stay idempotent.
        alert.HasIndex(a => new { a.RuleId, a.DeviceId }).IsUnique().HasFilter("state <> 'resolved'");
        alert.HasIndex(a => new { a.RuleId, a.RolloutId }).IsUnique().HasFilter("state <> 'resolved' AND rollout_id IS NOT NULL");
        alert.HasIndex(a => new { a.State, a.OpenedAt });
        alert.HasOne<AlertRule>().WithMany().HasForeignKey(a => a.RuleId).OnDelete(DeleteBehavior.Cascade);
        alert.HasOne<Device>().WithMany().HasForeignKey(a => a.DeviceId).OnDelete(DeleteBehavior.Cascade);
        alert.HasOne<Fleet.Api.Rollouts.Rollout>().WithMany().HasForeignKey(a => a.RolloutId).OnDelete(DeleteBehavior.Cascade);
        alert.ToTable(table => table.HasCheckConstraint("ck_alerts_subject", "(device_id IS NULL) <> (rollout_id IS NULL)"));
    }
}

internal sealed class AlertTransitionConfiguration : IEntityTypeConfiguration<AlertTransition>
{
    public void Configure(EntityTypeBuilder<AlertTransition> transition)
    {
        transition.ToTable("alert_transitions");
        transition.HasKey(t => t.Id);
        transition.Property(t => t.Id).UseIdentityAlwaysColumn();
        transition.Property(t => t.FromState).HasConversion(AlertStateConverter.Instance).HasMaxLength(16);
        transition.Property(t => t.ToState).HasConversion(AlertStateConverter.Instance).HasMaxLength(16);
        transition.Property(t => t.By).HasMaxLength(AlertLimits.By);
        transition.Property(t => t.Note).HasMaxLength(AlertLimits.Note);
        transition.HasIndex(t => new { t.AlertId, t.At });
        transition.HasOne<Alert>().WithMany().HasForeignKey(t => t.AlertId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>States are stored by their wire names (open, acknowledged, resolved), so SQL filters read naturally.</summary>
internal sealed class AlertStateConverter() : ValueConverter<AlertState, string>(state => state.ToName(), name => AlertLifecycle.ParseState(name)!.Value)
{
    public static AlertStateConverter Instance { get; } = new();
}

public static class AlertLimits
{
    public const int By = 64;
    public const int Note = 512;
}
