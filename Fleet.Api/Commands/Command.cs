using System.Text.Json;
using Fleet.Api.Devices;
using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Fleet.Api.Commands;

/// <summary>An operator's command: what to run, for whom (one device or a segment, resolved once when sent), until when.</summary>
public sealed class Command
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    /// <summary>The parameters object as JSON (jsonb), or null when the command takes none.</summary>
    public string? Parameters { get; set; }

    /// <summary>Set when the operator named one device.</summary>
    public Guid? TargetDeviceId { get; set; }

    /// <summary>Set when the operator named a segment.</summary>
    public CommandSegment? Segment { get; set; }

    public required string CreatedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>One device's copy of a command and where it is.</summary>
public sealed class CommandDelivery
{
    public Guid CommandId { get; set; }

    public Guid DeviceId { get; set; }

    public CommandState State { get; set; }

    /// <summary>Socket sends so far (the first delivery and each resend).</summary>
    public int Attempts { get; set; }

    public DateTimeOffset? LastSentAt { get; set; }

    /// <summary>The command's expiry, copied here so the sweeper finds due rows by index alone.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    public string? Reason { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>Every change of a delivery, in order: queued, sent, each resend (sent → sent), the device's reports, the end.</summary>
public sealed class CommandTransition
{
    public long Id { get; set; }

    public Guid CommandId { get; set; }

    public Guid DeviceId { get; set; }

    public DateTimeOffset At { get; set; }

    public CommandState? FromState { get; set; }

    public CommandState ToState { get; set; }

    public string? Reason { get; set; }
}

public static class CommandLimits
{
    public const int Reason = 500;
    public const int Name = 32;
}

internal sealed class CommandConfiguration : IEntityTypeConfiguration<Command>
{
    public void Configure(EntityTypeBuilder<Command> command)
    {
        command.ToTable("commands");
        command.HasKey(c => c.Id);
        command.Property(c => c.Name).HasMaxLength(CommandLimits.Name);
        command.Property(c => c.Parameters).HasColumnType("jsonb");
        // Written once with the command, never changed: a JSON conversion without a deep comparer is enough.
        command.Property(c => c.Segment)
            .HasConversion(
                segment => JsonSerializer.Serialize(segment, JsonSerializerOptions.Web),
                json => JsonSerializer.Deserialize<CommandSegment>(json, JsonSerializerOptions.Web))
            .HasColumnType("jsonb");
        command.Property(c => c.CreatedBy).HasMaxLength(Audit.AuditEntry.ActorLength);
        command.HasIndex(c => c.CreatedAt);
    }
}

internal sealed class CommandDeliveryConfiguration : IEntityTypeConfiguration<CommandDelivery>
{
    public void Configure(EntityTypeBuilder<CommandDelivery> delivery)
    {
        delivery.ToTable("command_deliveries");
        delivery.HasKey(d => new { d.CommandId, d.DeviceId });
        delivery.HasOne<Command>().WithMany().HasForeignKey(d => d.CommandId).OnDelete(DeleteBehavior.Cascade);
        delivery.HasOne<Device>().WithMany().HasForeignKey(d => d.DeviceId).OnDelete(DeleteBehavior.Cascade);
        delivery.Property(d => d.State).HasConversion(CommandStateConverter.Instance).HasMaxLength(16);
        delivery.Property(d => d.Reason).HasMaxLength(CommandLimits.Reason);
        // A connecting device's outstanding commands, and a device's command list.
        delivery.HasIndex(d => new { d.DeviceId, d.State });
        // The sweeper's due work only: sent rows by last send, outstanding rows by expiry.
        delivery.HasIndex(d => d.LastSentAt).HasDatabaseName("ix_command_deliveries_sent_due").HasFilter("state = 'sent'");
        delivery.HasIndex(d => d.ExpiresAt).HasDatabaseName("ix_command_deliveries_outstanding_expiry").HasFilter("state IN ('queued', 'sent')");
    }
}

internal sealed class CommandTransitionConfiguration : IEntityTypeConfiguration<CommandTransition>
{
    public void Configure(EntityTypeBuilder<CommandTransition> transition)
    {
        transition.ToTable("command_transitions");
        transition.HasKey(t => t.Id);
        transition.Property(t => t.Id).UseIdentityAlwaysColumn();
        transition.Property(t => t.FromState).HasConversion(CommandStateConverter.Instance).HasMaxLength(16);
        transition.Property(t => t.ToState).HasConversion(CommandStateConverter.Instance).HasMaxLength(16);
        transition.Property(t => t.Reason).HasMaxLength(CommandLimits.Reason);
        transition.HasIndex(t => new { t.CommandId, t.DeviceId, t.Id });
        transition.HasOne<CommandDelivery>().WithMany().HasForeignKey(t => new { t.CommandId, t.DeviceId }).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>States are stored by their wire names (queued, sent, ...), so SQL reads naturally.</summary>
internal sealed class CommandStateConverter() : ValueConverter<CommandState, string>(state => state.ToName(), name => CommandTransitions.Parse(name))
{
    public static CommandStateConverter Instance { get; } = new();
}
