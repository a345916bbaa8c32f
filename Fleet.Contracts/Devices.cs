namespace Fleet.Contracts;

/// <summary>A position on the map, in WGS84 degrees.</summary>
public sealed record GeoLocation(double Lat, double Lon);

/// <summary>Body of <c>POST /api/v1/devices/register</c>: a device enrolls with the fleet's enrollment token.</summary>
public sealed record RegisterDeviceRequest(
    string EnrollmentToken,
    string Serial,
    string Type,
    string HardwareRevision,
    string Region,
    string? Name = null,
    IReadOnlyList<string>? Tags = null,
    GeoLocation? Location = null,
    string? Environment = null);

/// <summary>An operator allowed the device one registration without its current key, until <paramref name="ExpiresAt"/>.</summary>
public sealed record ReEnrollmentAllowance(Guid DeviceId, DateTimeOffset ExpiresAt);

/// <summary>The device key is shown once, here; the API keeps only its hash.</summary>
public sealed record RegisterDeviceResponse(Guid DeviceId, string DeviceKey, string Status);

/// <summary>
/// Body of <c>POST /api/v1/device/heartbeat</c>. <c>Config</c> is the device's applied settings (what
/// <c>set_config</c> commands set), so operators see that a change took effect.
/// </summary>
public sealed record HeartbeatRequest(
    double Battery,
    int Signal,
    string Firmware,
    string Slot,
    long UptimeS,
    GeoLocation? Location = null,
    IReadOnlyDictionary<string, string>? Config = null);

/// <summary>Body of <c>GET /api/v1/fleet/stats</c>.</summary>
public sealed record FleetStatsResponse(
    int Total,
    int SeenRecently,
    IReadOnlyDictionary<string, int> ByLifecycle,
    IReadOnlyDictionary<string, int> ByType,
    IReadOnlyDictionary<string, int> ByRegion,
    IReadOnlyDictionary<string, int> ByFirmware,
    IReadOnlyDictionary<string, int> ByStatus,
    IReadOnlyDictionary<string, int>? ByHardwareRevision = null);
