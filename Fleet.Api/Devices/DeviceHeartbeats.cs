using System.Globalization;
using System.Text.Json;
using Fleet.Api.Alerts;
using Fleet.Api.Commands;
using Fleet.Api.Infrastructure;
using Fleet.Api.Rollouts;
using Fleet.Api.Status;
using Fleet.Contracts;
using StackExchange.Redis;

namespace Fleet.Api.Devices;

/// <summary>What became of a heartbeat, whatever carried it (HTTP or MQTT).</summary>
public abstract record HeartbeatOutcome
{
    public sealed record Recorded : HeartbeatOutcome;

    public sealed record RateLimited(TimeSpan RetryAfter) : HeartbeatOutcome;

    public sealed record Invalid(Dictionary<string, string[]> Errors) : HeartbeatOutcome;

    /// <summary>Redis is out of reach; nothing was recorded.</summary>
    public sealed record StoreUnavailable : HeartbeatOutcome;
}

/// <summary>
/// Records heartbeats for HTTP and the MQTT collector alike: latest values go to Redis (hot, shared by replicas); the
/// status tracker records last-seen and connectivity; the registry mirror catches up within its interval.
/// </summary>
public sealed class DeviceHeartbeats(
    IConnectionMultiplexer redis, DeviceStatusTracker status, DeviceStatusRecorder recorder, DeviceHeartbeatMirror mirror, AlertSignals alerts,
    DeviceHealthMarks health, HeartbeatRateLimiter rateLimiter, TimeProvider clock)
{
    public async Task<HeartbeatOutcome> RecordAsync(Guid deviceId, HeartbeatRequest request, CancellationToken cancellationToken)
    {
        if (!redis.IsConnected)
        {
            // Answered at once: commands for a Redis that is away would wait in the client's backlog for its timeout.
            return new HeartbeatOutcome.StoreUnavailable();
        }

        if (rateLimiter.RetryAfter(deviceId) is { } retryAfter)
        {
            return new HeartbeatOutcome.RateLimited(retryAfter);
        }

        var errors = DeviceValidation.Validate(request);
        DeviceConfig.Validate(request.Config, "config", errors);
        if (errors.Count > 0)
        {
            return new HeartbeatOutcome.Invalid(errors);
        }

        var now = clock.GetUtcNow();
        var fields = new List<HashEntry>
        {
            new("battery", Number(request.Battery)),
            new("signal", request.Signal),
            new("firmware", request.Firmware),
            new("slot", request.Slot),
            new("uptimeS", request.UptimeS),
            new("seenAt", now.ToUnixTimeMilliseconds()),
        };
        if (request.Location is { } location)
        {
            fields.Add(new("lat", Number(location.Lat)));
            fields.Add(new("lon", Number(location.Lon)));
        }

        // A heartbeat without config leaves the last reported settings in place (devices may report them only on change).
        if (request.Config is { } config)
        {
            fields.Add(new(DeviceConfig.LatestField, JsonSerializer.Serialize(config)));
        }

        // Issued in this order on one connection, so the evaluator never sees the mark before the values.
        var latest = redis.GetDatabase().HashSetAsync(RedisKeys.Latest(deviceId), [.. fields]);
        var marked = alerts.MarkChangedAsync([deviceId]);
        var booted = health.RecordBootAsync(deviceId, now, request.UptimeS);
        await Task.WhenAll(latest, marked, booted);
        mirror.Record(deviceId, request, now);
        if (await status.SeenAsync(deviceId, request.Battery) is { } change)
        {
            await recorder.RecordAsync([change], cancellationToken);
        }

        return new HeartbeatOutcome.Recorded();
    }

    /// <summary>Shortest round-trip text ("84.6", not StackExchange.Redis's "84.599999999999994").</summary>
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
