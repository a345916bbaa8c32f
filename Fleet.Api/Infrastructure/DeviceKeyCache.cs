using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Fleet.Api.Infrastructure;

/// <summary>
/// Remembers which device a key hash belongs to for <see cref="FleetOptions.DeviceKeyCacheTtl"/>, so a device call
/// does not cost a database round trip. Only hits are cached. Whoever replaces a key or changes a lifecycle calls
/// <see cref="ForgetEverywhereAsync"/>: this replica forgets the key at once and every other replica when the
/// message on <see cref="Channel"/> reaches it (<see cref="DeviceKeyInvalidation"/>). Pub/sub is fire-and-forget,
/// so a replica that was cut off from Redis catches up when its entry expires: the TTL bounds how stale it can be.
/// </summary>
public sealed class DeviceKeyCache(IMemoryCache cache, IConnectionMultiplexer redis, IOptions<FleetOptions> options)
{
    /// <summary>Pub/sub channel: base64 SHA-256 hashes of device keys that every replica must look up again.</summary>
    public static readonly RedisChannel Channel = RedisChannel.Literal("fleet:auth:forget");

    public AuthenticatedDevice? Find(byte[] keyHash) => cache.Get<AuthenticatedDevice>(new Entry(Convert.ToBase64String(keyHash)));

    public void Set(byte[] keyHash, AuthenticatedDevice device)
    {
        if (options.Value.DeviceKeyCacheTtl > TimeSpan.Zero)
        {
            cache.Set(new Entry(Convert.ToBase64String(keyHash)), device, options.Value.DeviceKeyCacheTtl);
        }
    }

    /// <summary>Forgets the key here and tells the other replicas; a Redis failure leaves them to the TTL.</summary>
    public async Task ForgetEverywhereAsync(IEnumerable<byte[]> keyHashes)
    {
        foreach (var hash in keyHashes.Select(Convert.ToBase64String))
        {
            Forget(hash);
            try
            {
                await redis.GetSubscriber().PublishAsync(Channel, hash);
            }
            catch (RedisException)
            {
                // The other replicas' entries expire within the TTL.
            }
        }
    }

    /// <summary>A message from <see cref="Channel"/> (this replica's own included).</summary>
    internal void Forget(string keyHashBase64) => cache.Remove(new Entry(keyHashBase64));

    private sealed record Entry(string KeyHash);
}

/// <summary>Subscribes to <see cref="DeviceKeyCache.Channel"/> at start-up, trying again until Redis answers.</summary>
public sealed partial class DeviceKeyInvalidation(IConnectionMultiplexer redis, DeviceKeyCache cache, ILogger<DeviceKeyInvalidation> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // The multiplexer keeps the subscription across reconnects once it has been made.
                await redis.GetSubscriber().SubscribeAsync(DeviceKeyCache.Channel, (_, hash) => cache.Forget(hash.ToString()));
                return;
            }
            catch (RedisException exception)
            {
                LogSubscribeFailed(logger, exception);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscribing to device key invalidations failed; retrying, and cached keys expire on their own meanwhile")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception exception);
}
