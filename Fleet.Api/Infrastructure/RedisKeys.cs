namespace Fleet.Api.Infrastructure;

/// <summary>Every Redis key Fleet.Api uses, in one place.</summary>
public static class RedisKeys
{
    /// <summary>Hash of a device's latest heartbeat values.</summary>
    public static string Latest(Guid deviceId) => $"fleet:device:{deviceId:N}:latest";

    /// <summary>Counter of a device's telemetry requests in one rate-limit window.</summary>
    public static string TelemetryRate(Guid deviceId, long window) => $"fleet:ratelimit:telemetry:{deviceId:N}:{window}";

    /// <summary>Counter of a device's heartbeats in one rate-limit window.</summary>
    public static string HeartbeatRate(Guid deviceId, long window) => $"fleet:ratelimit:heartbeat:{deviceId:N}:{window}";

    // The status keys share a hash tag so one Lua script may touch them all, also on a Redis Cluster.

    /// <summary>Sorted set: devices that reported within the at-risk window, scored by last seen (Unix ms).</summary>
    public const string StatusFresh = "fleet:{status}:fresh";

    /// <summary>Sorted set: devices past the at-risk window but not yet offline, scored by last seen.</summary>
    public const string StatusStale = "fleet:{status}:stale";

    /// <summary>Hash: device id → online / at-risk / offline.</summary>
    public const string StatusCurrent = "fleet:{status}:current";

    /// <summary>Pub/sub channel of <see cref="Fleet.Contracts.DeviceStatusMessage"/>s, shared with the UI.</summary>
    public const string DeviceStatusChannel = Fleet.Contracts.FleetChannels.DeviceStatus;

    /// <summary>Sorted set: device id (N format) → when it last booted (heartbeat time minus uptime, Unix ms).</summary>
    public const string HealthBoots = "fleet:health:boots";

    /// <summary>Sorted set: device id (N format) → when it last reported the rollout error metric above zero (Unix ms).</summary>
    public const string HealthErrors = "fleet:health:errors";

    /// <summary>Counter of telemetry points stored in one UTC minute (Unix minutes), by every replica.</summary>
    public static string IngestPoints(long minute) => $"fleet:stats:ingest:{minute}";

    public static string Leader(string name) => $"fleet:leader:{name}";
}

/// <summary>Fields of a device's latest-values hash (<see cref="RedisKeys.Latest"/>) that describe its down link.</summary>
public static class DeviceLinkFields
{
    public const string Transport = "transport";
    public const string ConnectedAt = "connectedAt";
    public const string DisconnectedAt = "disconnectedAt";
}
