using Fleet.Contracts;

namespace Fleet.Web.Services;

/// <summary>What the map needs of a device, sent to the browser in pages (camelCase JSON).</summary>
public sealed record MapDevice(Guid Id, string Serial, string? Name, string Status, double Lat, double Lon)
{
    public static IEnumerable<MapDevice> From(IEnumerable<DeviceSummary> devices) =>
        devices.Where(device => device.Location is not null)
            .Select(device => new MapDevice(device.Id, device.Serial, device.Name, device.Status, device.Location!.Lat, device.Location.Lon));
}

/// <summary>A status change for a marker already on the map.</summary>
public sealed record MapStatus(Guid Id, string Status);
