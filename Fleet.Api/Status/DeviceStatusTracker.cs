using Fleet.Api.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Fleet.Api.Status;

/// <summary>
/// Current connectivity lives in Redis; each transition happens inside one Lua script, so heartbeats on any
/// replica and the sweeper never race. Devices that reported recently sit in a "fresh" sorted set scored by
/// last-seen, those past the at-risk window in a "stale" one; offline devices are in neither. A sweep reads
/// only the low end of each set, so its cost follows the devices that change, not the fleet's size.
/// The same scripts keep a count per status, so "devices by status" never scans the fleet either.
/// </summary>
public sealed class DeviceStatusTracker(IConnectionMultiplexer redis, IOptions<StatusOptions> options, TimeProvider clock)
{
    /// <summary>Devices per status (hash of status name → count), same hash slot as the other status keys.</summary>
    public const string CountsKey = "fleet:{status}:counts";

    /// <summary>Builds the counts once from the current states when they are missing (state written before counts existed).</summary>
    private static readonly LuaScript RebuildCountsScript = LuaScript.Prepare("""
        if redis.call('EXISTS', @counts) == 1 then return 0 end
        local states = redis.call('HVALS', @current)
        local tally = {}
        for _, state in ipairs(states) do tally[state] = (tally[state] or 0) + 1 end
        for state, n in pairs(tally) do redis.call('HSET', @counts, state, n) end
        redis.call('HSET', @counts, 'online', tally['online'] or 0)
        return #states
        """);

    private static readonly LuaScript SeenScript = LuaScript.Prepare("""
        redis.call('ZADD', @fresh, @now, @id)
        redis.call('ZREM', @stale, @id)
        local old = redis.call('HGET', @current, @id)
        if old == @desired then return false end
        redis.call('HSET', @current, @id, @desired)
        redis.call('HINCRBY', @counts, @desired, 1)
        if old then redis.call('HINCRBY', @counts, old, -1) end
        return old or 'unknown'
        """);

    private static readonly LuaScript DisconnectedScript = LuaScript.Prepare("""
        redis.call('ZREM', @fresh, @id)
        redis.call('ZREM', @stale, @id)
        local old = redis.call('HGET', @current, @id)
        if old == 'offline' then return false end
        redis.call('HSET', @current, @id, 'offline')
        redis.call('HINCRBY', @counts, 'offline', 1)
        if old then redis.call('HINCRBY', @counts, old, -1) end
        return old or 'unknown'
        """);

    private static readonly LuaScript SweepScript = LuaScript.Prepare("""
        local changes = {}
        local late = redis.call('ZRANGEBYSCORE', @fresh, '-inf', '(' .. @atRiskBefore, 'WITHSCORES', 'LIMIT', 0, @limit)
        for i = 1, #late, 2 do
            local id = late[i]
            redis.call('ZREM', @fresh, id)
            redis.call('ZADD', @stale, late[i + 1], id)
            local old = redis.call('HGET', @current, id) or 'unknown'
            if old ~= 'at-risk' then
                redis.call('HSET', @current, id, 'at-risk')
                redis.call('HINCRBY', @counts, 'at-risk', 1)
                if old ~= 'unknown' then redis.call('HINCRBY', @counts, old, -1) end
                table.insert(changes, id); table.insert(changes, old); table.insert(changes, 'at-risk')
            end
        end
        local gone = redis.call('ZRANGEBYSCORE', @stale, '-inf', '(' .. @offlineBefore, 'LIMIT', 0, @limit)
        for _, id in ipairs(gone) do
            redis.call('ZREM', @stale, id)
            local old = redis.call('HGET', @current, id) or 'unknown'
            if old ~= 'offline' then
                redis.call('HSET', @current, id, 'offline')
                redis.call('HINCRBY', @counts, 'offline', 1)
                if old ~= 'unknown' then redis.call('HINCRBY', @counts, old, -1) end
                table.insert(changes, id); table.insert(changes, old); table.insert(changes, 'offline')
            end
        end
        return changes
        """);

    /// <summary>A heartbeat arrived: the device is online, or at-risk when its battery is low. Returns the change, if any.</summary>
    /// <param name="seenBy">What showed the device alive, for the status event ("heartbeat", "mqtt connected").</param>
    public async Task<ConnectivityChange?> SeenAsync(Guid deviceId, double battery, string seenBy = "heartbeat")
    {
        var settings = options.Value;
        var (desired, reason) = battery < settings.LowBatteryPercent
            ? (DeviceConnectivity.AtRisk, $"battery {battery:0.#}% below {settings.LowBatteryPercent:0.#}%")
            : (DeviceConnectivity.Online, seenBy);
        var result = await redis.GetDatabase().ScriptEvaluateAsync(SeenScript, new
        {
            fresh = (RedisKey)RedisKeys.StatusFresh,
            stale = (RedisKey)RedisKeys.StatusStale,
            current = (RedisKey)RedisKeys.StatusCurrent,
            counts = (RedisKey)CountsKey,
            id = deviceId.ToString("N"),
            now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            desired = desired.ToName(),
        });
        return result.IsNull ? null : new ConnectivityChange(deviceId, ConnectivityNames.Parse((string?)result), desired, reason);
    }

    /// <summary>The device's connection is gone (its MQTT last will): offline now, not after the offline window.</summary>
    public async Task<ConnectivityChange?> DisconnectedAsync(Guid deviceId, string reason)
    {
        var result = await redis.GetDatabase().ScriptEvaluateAsync(DisconnectedScript, new
        {
            fresh = (RedisKey)RedisKeys.StatusFresh,
            stale = (RedisKey)RedisKeys.StatusStale,
            current = (RedisKey)RedisKeys.StatusCurrent,
            counts = (RedisKey)CountsKey,
            id = deviceId.ToString("N"),
        });
        return result.IsNull ? null : new ConnectivityChange(deviceId, ConnectivityNames.Parse((string?)result), DeviceConnectivity.Offline, reason);
    }

    /// <summary>Moves devices past the at-risk and offline windows; returns what changed.</summary>
    public async Task<IReadOnlyList<ConnectivityChange>> SweepAsync()
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(SweepScript, new
        {
            fresh = (RedisKey)RedisKeys.StatusFresh,
            stale = (RedisKey)RedisKeys.StatusStale,
            current = (RedisKey)RedisKeys.StatusCurrent,
            counts = (RedisKey)CountsKey,
            atRiskBefore = (now - settings.AtRiskAfter).ToUnixTimeMilliseconds(),
            offlineBefore = (now - settings.OfflineAfter).ToUnixTimeMilliseconds(),
            limit = settings.MaxChangesPerSweep,
        }))!;
        var changes = new List<ConnectivityChange>(result.Length / 3);
        for (var i = 0; i + 2 < result.Length; i += 3)
        {
            var to = ConnectivityNames.Parse((string?)result[i + 2]);
            var window = to == DeviceConnectivity.Offline ? settings.OfflineAfter : settings.AtRiskAfter;
            changes.Add(new ConnectivityChange(Guid.Parse((string)result[i]!), ConnectivityNames.Parse((string?)result[i + 1]), to, $"not seen for {window}"));
        }

        return changes;
    }

    /// <summary>Devices whose last heartbeat is within the at-risk (online) window: the low end of "fresh" may not be swept yet.</summary>
    public async Task<long> CountSeenWithinOnlineWindowAsync() =>
        await redis.GetDatabase().SortedSetLengthAsync(
            RedisKeys.StatusFresh, (clock.GetUtcNow() - options.Value.AtRiskAfter).ToUnixTimeMilliseconds(), double.PositiveInfinity);

    /// <summary>Devices per status name, from the counts the transition scripts keep (built once if missing).</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountByStatusAsync()
    {
        var database = redis.GetDatabase();
        await database.ScriptEvaluateAsync(RebuildCountsScript, new { counts = (RedisKey)CountsKey, current = (RedisKey)RedisKeys.StatusCurrent });
        var entries = await database.HashGetAllAsync(CountsKey);
        return entries.ToDictionary(entry => (string)entry.Name!, entry => (long)entry.Value, StringComparer.Ordinal);
    }

    public async Task<DeviceConnectivity> CurrentAsync(Guid deviceId) =>
        ConnectivityNames.Parse(await redis.GetDatabase().HashGetAsync(RedisKeys.StatusCurrent, deviceId.ToString("N")));
}
