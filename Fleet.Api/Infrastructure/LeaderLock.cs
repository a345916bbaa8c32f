using StackExchange.Redis;

namespace Fleet.Api.Infrastructure;

/// <summary>
/// Lets one replica at a time run a singleton controller: a Redis key that the holder renews before it
/// expires. If the holder dies, another replica takes over after the time-to-live.
/// </summary>
public sealed class LeaderLock(IConnectionMultiplexer redis)
{
    private static readonly LuaScript AcquireOrRenew = LuaScript.Prepare("""
        if redis.call('SET', @key, @owner, 'NX', 'PX', @ttl) then return 1 end
        if redis.call('GET', @key) == @owner then
            redis.call('PEXPIRE', @key, @ttl)
            return 1
        end
        return 0
        """);

    /// <summary>This process, as lock owner.</summary>
    public string Owner { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    /// <summary>True when this process holds (or just took) the lock named <paramref name="name"/> for <paramref name="ttl"/>.</summary>
    public async Task<bool> TryHoldAsync(string name, TimeSpan ttl) =>
        (int)await redis.GetDatabase().ScriptEvaluateAsync(AcquireOrRenew, new
        {
            key = (RedisKey)RedisKeys.Leader(name),
            owner = Owner,
            ttl = (long)ttl.TotalMilliseconds,
        }) == 1;
}
