namespace Fleet.Api.Infrastructure;

/// <summary>Every Redis key Fleet.Api uses, in one place.</summary>
public static class RedisKeys
{
    /// <summary>Sorted set: member = device id, score = last seen (Unix milliseconds).</summary>
    public const string LastSeen = "fleet:devices:last-seen";

    /// <summary>Hash of a device's latest heartbeat values.</summary>
    public static string Latest(Guid deviceId) => $"fleet:device:{deviceId:N}:latest";

    /// <summary>Counter of a device's telemetry requests in one rate-limit window.</summary>
    public static string TelemetryRate(Guid deviceId, long window) => $"fleet:ratelimit:telemetry:{deviceId:N}:{window}";
}
