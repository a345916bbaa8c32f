namespace Fleet.Contracts;

/// <summary>
/// One device as operators see it in lists; <c>Lifecycle</c> is new, active, suspended or retired,
/// <c>Status</c> is online, at-risk, offline or unknown.
/// </summary>
public sealed record DeviceSummary(
    Guid Id,
    string Serial,
    string? Name,
    string Type,
    string HardwareRevision,
    string Region,
    string Environment,
    IReadOnlyList<string> Tags,
    string? Firmware,
    string Lifecycle,
    GeoLocation? Location,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastSeenAt,
    string Status);

/// <summary>A device's deployment environment: rollouts can take green devices first and blue ones after promotion.</summary>
public static class DeviceEnvironments
{
    public const string Blue = "blue";
    public const string Green = "green";

    public static bool IsKnown(string? environment) => environment is Blue or Green;

    /// <summary><c>PUT</c> with a <see cref="DeviceEnvironmentRequest"/> moves the device to the other environment.</summary>
    public static string Route(Guid deviceId) => $"{FleetHttp.DevicesRoute}/{deviceId}/environment";
}

/// <summary>Body of <c>PUT /api/v1/devices/{id}/environment</c>: blue or green.</summary>
public sealed record DeviceEnvironmentRequest(string? Environment);

/// <summary>Body of <c>GET /api/v1/devices</c>: one page and the number of devices matching the filters.</summary>
public sealed record DeviceListResponse(IReadOnlyList<DeviceSummary> Items, int Total);

/// <summary>The values of a device's latest heartbeat, as far as they were reported.</summary>
public sealed record LatestHeartbeat(
    double? Battery,
    int? Signal,
    string? Firmware,
    string? Slot,
    long? UptimeS,
    GeoLocation? Location,
    DateTimeOffset? SeenAt);

/// <summary>
/// How the device's down link reaches it: <c>Protocol</c> is <c>mqtt</c> (the broker) or <c>websocket</c> (the device
/// channel), with when it last connected and disconnected.
/// </summary>
public sealed record DeviceLink(string Protocol, DateTimeOffset? ConnectedAt, DateTimeOffset? DisconnectedAt)
{
    public const string Mqtt = "mqtt";
    public const string WebSocket = "websocket";
}

/// <summary>
/// Body of <c>GET /api/v1/devices/{id}</c>; <c>Latest</c> is null until the device sends a heartbeat, <c>Config</c> until
/// a heartbeat carries the device's applied settings, <c>Link</c> until it connects over MQTT or its channel.
/// </summary>
public sealed record DeviceDetail(DeviceSummary Device, LatestHeartbeat? Latest, IReadOnlyDictionary<string, string>? Config = null, DeviceLink? Link = null);
