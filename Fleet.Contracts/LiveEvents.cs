namespace Fleet.Contracts;

/// <summary>Redis pub/sub channels the API publishes on and the UI listens to.</summary>
public static class FleetChannels
{
    /// <summary>JSON <see cref="DeviceStatusMessage"/> per connectivity change .</summary>
    public const string DeviceStatus = "fleet:events:device-status";

    /// <summary>JSON <see cref="AlertEvent"/> per alert change.</summary>
    public const string Alerts = "fleet:events:alerts";

    /// <summary>JSON <see cref="CommandStatusMessage"/> per change of a command's state on one device.</summary>
    public const string Commands = "fleet:events:commands";
}

/// <summary>One connectivity change as published on <see cref="FleetChannels.DeviceStatus"/> (camelCase JSON).</summary>
public sealed record DeviceStatusMessage(Guid DeviceId, string From, string To, DateTimeOffset At, string Reason);
