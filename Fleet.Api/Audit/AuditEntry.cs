using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Api.Audit;

/// <summary>Who did what to which target, when and why. Written in the same transaction as the change it records.</summary>
public sealed class AuditEntry
{
    public const int ActorLength = 128;
    public const int ReasonLength = 2000;

    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>The signed-in user or the token's owner, "break-glass" for the break-glass token, or "controller" for automatic moves.</summary>
    public required string Actor { get; set; }

    public required string Action { get; set; }

    public required string TargetType { get; set; }

    public Guid TargetId { get; set; }

    public string? Reason { get; set; }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> entry)
    {
        entry.ToTable("audit_entries");
        entry.HasKey(e => e.Id);
        entry.Property(e => e.Id).UseIdentityAlwaysColumn();
        entry.Property(e => e.Actor).HasMaxLength(AuditEntry.ActorLength);
        entry.Property(e => e.Action).HasMaxLength(32);
        entry.Property(e => e.TargetType).HasMaxLength(32);
        entry.Property(e => e.Reason).HasMaxLength(AuditEntry.ReasonLength);
        entry.HasIndex(e => e.At);
        entry.HasIndex(e => new { e.TargetId, e.At });
        entry.HasIndex(e => new { e.Actor, e.At });
    }
}
