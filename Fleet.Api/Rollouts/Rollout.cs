using System.Text.Json;
using Fleet.Api.Firmware;
using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Api.Rollouts;

/// <summary>
/// A rollout: one release to one target by one plan. Its devices are <see cref="RolloutDevice"/> rows, written at
/// creation; devices that join the target while it runs are added then (<see cref="RolloutDevice.JoinedAt"/>).
/// </summary>
public sealed class Rollout
{
    public Guid Id { get; set; }

    public string? Name { get; set; }

    public Guid ReleaseId { get; set; }

    public required RolloutTarget Target { get; set; }

    public required RolloutPlanSettings Plan { get; set; }

    public RolloutState State { get; set; }

    public int PhaseIndex { get; set; }

    /// <summary>Blue/green: green devices first; <see cref="Promoted"/> releases the rollout to blue ones.</summary>
    public bool GreenFirst { get; set; }

    public bool Promoted { get; set; }

    /// <summary>Active devices the target matched at creation, and how many of them could take the release.</summary>
    public int Matching { get; set; }

    public int Compatible { get; set; }

    public required string CreatedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? PhaseStartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>PostgreSQL's xmin: two operators acting at once cannot both move the rollout from the same state.</summary>
    public uint Version { get; set; }

    public RolloutPosition Position => new(State, PhaseIndex, Plan.Phases.Count, GreenFirst, Promoted);
}

internal sealed class RolloutConfiguration : IEntityTypeConfiguration<Rollout>
{
    public void Configure(EntityTypeBuilder<Rollout> rollout)
    {
        rollout.ToTable("rollouts");
        rollout.HasKey(r => r.Id);
        rollout.Property(r => r.Name).HasMaxLength(128);
        rollout.HasOne<FirmwareRelease>().WithMany().HasForeignKey(r => r.ReleaseId).OnDelete(DeleteBehavior.Restrict);
        rollout.Property(r => r.Target).HasJsonConversion();
        rollout.Property(r => r.Plan).HasJsonConversion();
        rollout.Property(r => r.State).HasConversion(s => s.ToName(), name => RolloutStateNames.Parse(name)).HasMaxLength(16);
        rollout.HasIndex(r => r.State);
        rollout.Property(r => r.CreatedBy).HasMaxLength(Audit.AuditEntry.ActorLength);
        rollout.HasIndex(r => r.CreatedAt);
        rollout.Property(r => r.Version).IsRowVersion();
    }
}

internal static class RolloutStateNames
{
    public static RolloutState Parse(string name) => RolloutTransitions.TryParse(name, out var state) ? state : throw new FormatException($"Unknown rollout state '{name}'.");
}

/// <summary>Maps a record to a jsonb column (System.Text.Json, web defaults), compared by its JSON.</summary>
internal static class JsonColumn
{
    public static PropertyBuilder<T> HasJsonConversion<T>(this PropertyBuilder<T> property)
        where T : class
    {
        property.HasConversion(
            value => JsonSerializer.Serialize(value, JsonSerializerOptions.Web),
            json => JsonSerializer.Deserialize<T>(json, JsonSerializerOptions.Web)!,
            new ValueComparer<T>(
                (left, right) => JsonSerializer.Serialize(left, JsonSerializerOptions.Web) == JsonSerializer.Serialize(right, JsonSerializerOptions.Web),
                value => JsonSerializer.Serialize(value, JsonSerializerOptions.Web).GetHashCode(StringComparison.Ordinal),
                value => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, JsonSerializerOptions.Web), JsonSerializerOptions.Web)!));
        property.HasColumnType("jsonb");
        return property;
    }
}
