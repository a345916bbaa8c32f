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

    public async Task<TimeSpan?> RetryAfterAsync(Guid deviceId)
    {
        var now = clock.GetUtcNow();
        var window = now.ToUnixTimeSeconds() / (long)Window.TotalSeconds;
        var key = RedisKeys.TelemetryRate(deviceId, window);
        var database = redis.GetDatabase();
        var count = database.StringIncrementAsync(key);
        var expire = database.KeyExpireAsync(key, Window * 2, ExpireWhen.HasNoExpiry);
        await Task.WhenAll(count, expire);
        if (await count <= options.Value.RequestsPerDevicePerMinute)
        {
            return null;
        }

        var windowEnd = DateTimeOffset.FromUnixTimeSeconds((window + 1) * (long)Window.TotalSeconds);
        return windowEnd - now;
    }
}
