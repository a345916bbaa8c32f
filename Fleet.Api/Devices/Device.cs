using Fleet.Api.Status;
using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Api.Devices;

/// <summary>Where a device is in its life: registered, in service, taken out temporarily, or for good.</summary>
public enum DeviceLifecycle
{
    New,
    Active,
    Suspended,
    Retired,
}

/// <summary>A device in the registry.</summary>
public sealed class Device
{
    public Guid Id { get; set; }

    public required string Serial { get; set; }

    public string? Name { get; set; }

    public required string Type { get; set; }

    public required string HardwareRevision { get; set; }

    public required string Region { get; set; }

    /// <summary>Blue/green group for rollouts.</summary>
    public string Environment { get; set; } = DeviceEnvironments.Blue;

    public List<string> Tags { get; set; } = [];

    public string? FirmwareVersion { get; set; }

    public string? ActiveSlot { get; set; }

    public double? Latitude { get; set; }

    public double? Longitude { get; set; }

    public DeviceLifecycle Lifecycle { get; set; }

    /// <summary>Mirror of the status Redis tracks, kept here so lists and stats can filter and count by it.</summary>
    public DeviceConnectivity Connectivity { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastSeenAt { get; set; }
}

internal sealed class DeviceConfiguration : IEntityTypeConfiguration<Device>
{
    public void Configure(EntityTypeBuilder<Device> device)
    {
        device.ToTable("devices");
        device.HasKey(d => d.Id);
        device.HasIndex(d => d.Serial).IsUnique();
        device.Property(d => d.Serial).HasMaxLength(DeviceLimits.Serial);
        device.Property(d => d.Name).HasMaxLength(DeviceLimits.Name);
        device.Property(d => d.Type).HasMaxLength(DeviceLimits.Attribute);
        device.Property(d => d.HardwareRevision).HasMaxLength(DeviceLimits.Attribute);
        device.Property(d => d.Region).HasMaxLength(DeviceLimits.Attribute);
        device.Property(d => d.Environment).HasMaxLength(8);
        device.Property(d => d.FirmwareVersion).HasMaxLength(DeviceLimits.Attribute);
        device.Property(d => d.ActiveSlot).HasMaxLength(1);
        device.Property(d => d.Lifecycle).HasConversion<string>().HasMaxLength(16);
        device.HasIndex(d => d.Lifecycle);
        device.Property(d => d.Connectivity)
            .HasConversion(c => c.ToName(), name => ConnectivityNames.Parse(name))
            .HasMaxLength(16)
            .HasDefaultValue(DeviceConnectivity.Unknown)
            .HasSentinel(DeviceConnectivity.Unknown);
        device.HasIndex(d => d.Connectivity);
    }
}

/// <summary>Length limits shared by validation and the schema.</summary>
public static class DeviceLimits
{
    public const int Serial = 64;
    public const int Name = 128;
    public const int Attribute = 64;
    public const int Tag = 32;
    public const int Tags = 16;
}
