using Fleet.Api.Devices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Api.Rollouts;

/// <summary>
/// One target device in one rollout: its cohort bucket, the segment facts the controller filters on (copied at
/// creation so phases never join the device table), and where its update is.
/// </summary>
public sealed class RolloutDevice
{
    public Guid RolloutId { get; set; }

    public Guid DeviceId { get; set; }

    public int Bucket { get; set; }

    /// <summary>In the first phase whatever its bucket: one of its stratum's lowest buckets (<see cref="CohortStrata"/>).</summary>
    public bool Pinned { get; set; }

    /// <summary>When the device joined after the rollout was created (registered later, or entered the target); null for the target at creation.</summary>
    public DateTimeOffset? JoinedAt { get; set; }

    public required string Region { get; set; }

    public required string Environment { get; set; }

    public DeviceUpdateState State { get; set; }

    /// <summary>Offers that timed out so far; after the plan's retries the update fails.</summary>
    public int Attempts { get; set; }

    public string? Reason { get; set; }

    /// <summary>Why the update failed, kept when the device is rolled back afterwards (its reason then says how it came back).</summary>
    public string? FailureReason { get; set; }

    /// <summary>Set when the rollout is rolled back: the device should go back to its previous slot.</summary>
    public bool RollbackRequested { get; set; }

    public DateTimeOffset? EnrolledAt { get; set; }

    public DateTimeOffset? StateChangedAt { get; set; }
}

internal sealed class RolloutDeviceConfiguration : IEntityTypeConfiguration<RolloutDevice>
{
    public void Configure(EntityTypeBuilder<RolloutDevice> device)
    {
        device.ToTable("rollout_devices");
        device.HasKey(d => new { d.RolloutId, d.DeviceId });
        device.HasOne<Rollout>().WithMany().HasForeignKey(d => d.RolloutId).OnDelete(DeleteBehavior.Cascade);
        device.HasOne<Device>().WithMany().HasForeignKey(d => d.DeviceId).OnDelete(DeleteBehavior.Cascade);
        device.Property(d => d.Region).HasMaxLength(DeviceLimits.Attribute);
        device.Property(d => d.Environment).HasMaxLength(8);
        device.Property(d => d.State).HasConversion(s => s.ToName(), name => DeviceUpdateStateNames.Parse(name)).HasMaxLength(16);
        device.Property(d => d.Reason).HasMaxLength(RolloutDeviceLimits.Reason);
        device.Property(d => d.FailureReason).HasMaxLength(RolloutDeviceLimits.Reason);
        // The controller's queries: the next waiting buckets, and in-flight devices by age.
        device.HasIndex(d => new { d.RolloutId, d.State, d.Bucket });
        device.HasIndex(d => new { d.RolloutId, d.State, d.StateChangedAt });
        device.HasIndex(d => d.DeviceId);
    }
}

public static class RolloutDeviceLimits
{
    public const int Reason = 500;
}

internal static class DeviceUpdateStateNames
{
    public static DeviceUpdateState Parse(string name) =>
        DeviceUpdateTransitions.TryParse(name, out var state) ? state : throw new FormatException($"Unknown device update state '{name}'.");
}
