namespace Fleet.Contracts;

/// <summary>Redis pub/sub channels the API publishes on and the UI listens to.</summary>
public static class FleetChannels
{
    /// <summary>JSON <see cref="DeviceStatusMessage"/> per connectivity change.</summary>
    public const string DeviceStatus = "fleet:events:device-status";

    /// <summary>JSON <see cref="AlertEvent"/> per alert change.</summary>
    public const string Alerts = "fleet:events:alerts";

    /// <summary>JSON <see cref="CommandStatusMessage"/> per change of a command's state on one device.</summary>
    public const string Commands = "fleet:events:commands";

    /// <summary>JSON <see cref="DeviceChangeMessage"/> per change of what the device lists show besides status (lifecycle, firmware, environment).</summary>
    public const string DeviceChanges = "fleet:events:devices";
}

/// <summary>One connectivity change as published on <see cref="FleetChannels.DeviceStatus"/> (camelCase JSON).</summary>
public sealed record DeviceStatusMessage(Guid DeviceId, string From, string To, DateTimeOffset At, string Reason);

/// <summary>
/// One change of a device's registry entry as published on <see cref="FleetChannels.DeviceChanges"/> (camelCase JSON):
/// <see cref="Kind"/> is <c>lifecycle</c>, <c>firmware</c> or <c>environment</c>, <see cref="Detail"/> says from what to what.
/// </summary>
public sealed record DeviceChangeMessage(Guid DeviceId, string Kind, string Detail, DateTimeOffset At);
