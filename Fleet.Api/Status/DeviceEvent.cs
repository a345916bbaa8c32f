using Fleet.Api.Devices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Api.Status;

/// <summary>Something that happened to a device, kept as its history (today: connectivity changes).</summary>
public sealed class DeviceEvent
{
    public long Id { get; set; }

    public Guid DeviceId { get; set; }

    public DateTimeOffset At { get; set; }

    public required string Kind { get; set; }

    public string? FromState { get; set; }

    public string? ToState { get; set; }

    public string? Detail { get; set; }
}

internal sealed class DeviceEventConfiguration : IEntityTypeConfiguration<DeviceEvent>
{
    public void Configure(EntityTypeBuilder<DeviceEvent> deviceEvent)
    {
        deviceEvent.ToTable("device_events");
        deviceEvent.HasKey(e => e.Id);
        deviceEvent.Property(e => e.Id).UseIdentityAlwaysColumn();
        deviceEvent.Property(e => e.Kind).HasMaxLength(32);
        deviceEvent.Property(e => e.FromState).HasMaxLength(16);
        deviceEvent.Property(e => e.ToState).HasMaxLength(16);
        deviceEvent.Property(e => e.Detail).HasMaxLength(256);
        deviceEvent.HasIndex(e => new { e.DeviceId, e.At });
        deviceEvent.HasOne<Device>().WithMany().HasForeignKey(e => e.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}
