using Fleet.Api.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Fleet.Api.Telemetry;

/// <summary>
/// A fixed one-minute window per device, counted in Redis so every replica shares it. Returns how long to
/// wait when the device is over its budget.
/// </summary>
public sealed class TelemetryRateLimiter(IConnectionMultiplexer redis, IOptions<TelemetryOptions> options, TimeProvider clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    // Count and, for a new window, set its expiry, in one command (one round trip and one command for Redis per request).
    private const string CountRequest = """
        local count = redis.call('INCR', KEYS[1])
        if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return count
        """;

    public async Task<TimeSpan?> RetryAfterAsync(Guid deviceId)
    {
        var now = clock.GetUtcNow();
        var window = now.ToUnixTimeSeconds() / (long)Window.TotalSeconds;
        var key = RedisKeys.TelemetryRate(deviceId, window);
        // SE.Redis sends the script by its SHA (EVALSHA) once Redis has seen it.
        var count = (long)await redis.GetDatabase().ScriptEvaluateAsync(CountRequest, [key], [(long)(Window * 2).TotalMilliseconds]);
        if (count <= options.Value.RequestsPerDevicePerMinute)
        {
            return null;
        }

        var windowEnd = DateTimeOffset.FromUnixTimeSeconds((window + 1) * (long)Window.TotalSeconds);
        return windowEnd - now;
    }
}
