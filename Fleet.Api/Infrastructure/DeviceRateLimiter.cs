using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Fleet.Api.Infrastructure;

/// <summary>
/// A fixed one-minute window per device, shared by every replica through Redis, without a Redis round trip per request.
/// Each replica decides from what it knows: the device's count in Redis as of its last flush, plus the requests it has
/// accepted since. Every flush interval it adds those requests to the devices' Redis
/// counts in one script call and learns the totals, other replicas' requests included. With one replica the limit is
/// exact; a device whose requests are spread over several replicas can pass its budget by what the others accepted
/// since they last flushed. If Redis is out of reach, the counts wait for the next flush and each replica keeps
/// limiting on its own.
/// </summary>
/// A subclass names the requests it counts (telemetry, heartbeats): their budget and their Redis counters.
public abstract partial class DeviceRateLimiter(
    IConnectionMultiplexer redis,
    TimeSpan flushInterval,
    TimeProvider clock,
    ILogger logger) : PeriodicFlusher(flushInterval, clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    // Adds ARGV[i] to KEYS[i] and returns the new totals; a key that this call created gets its expiry (ARGV[#KEYS + 1]).
    private const string AddCounts = """
        local totals = {}
        for i, key in ipairs(KEYS) do
            local count = redis.call('INCRBY', key, ARGV[i])
            if count == tonumber(ARGV[i]) then redis.call('PEXPIRE', key, ARGV[#KEYS + 1]) end
            totals[i] = count
        end
        return totals
        """;

    private const int MaxKeysPerCall = 1000;

    private readonly ConcurrentDictionary<Guid, DeviceCount> _devices = new();
    private readonly ConcurrentQueue<Guid> _unflushed = new();
    private long _prunedWindow;

    /// <summary>Requests one device may make per fixed minute, all replicas together.</summary>
    protected abstract int RequestsPerMinute { get; }

    /// <summary>What is counted, for logs: "Telemetry", "Heartbeat".</summary>
    protected abstract string Requests { get; }

    /// <summary>The Redis counter of a device's requests in one window.</summary>
    protected abstract string CounterKey(Guid deviceId, long window);

    /// <summary>Counts the request and returns null, or returns how long to wait when the device is over its budget.</summary>
    public TimeSpan? RetryAfter(Guid deviceId)
    {
        var now = Clock.GetUtcNow();
        var window = WindowOf(now);
        while (true)
        {
            var device = _devices.GetOrAdd(deviceId, _ => new DeviceCount());
            lock (device)
            {
                if (!device.Removed)
                {
                    return Count(deviceId, device, window, now);
                }
            }
        }
    }

    private TimeSpan? Count(Guid deviceId, DeviceCount device, long window, DateTimeOffset now)
    {
        if (device.Window != window)
        {
            // The previous window's requests no longer count; any not flushed yet are left out of Redis too.
            (device.Window, device.Known, device.Flushing, device.Unflushed) = (window, 0, 0, 0);
        }

        if (device.Known + device.Flushing + device.Unflushed >= RequestsPerMinute)
        {
            return DateTimeOffset.FromUnixTimeSeconds((window + 1) * (long)Window.TotalSeconds) - now;
        }

        if (device.Unflushed++ == 0)
        {
            _unflushed.Enqueue(deviceId);
        }

        return null;
    }

    /// <summary>Adds the requests counted here since the last flush to Redis and takes back every replica's totals.</summary>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        var window = WindowOf(Clock.GetUtcNow());
        PruneBefore(window);
        var batch = new List<(Guid DeviceId, DeviceCount Device, int Added)>();
        while (_unflushed.TryDequeue(out var deviceId))
        {
            if (!_devices.TryGetValue(deviceId, out var device))
            {
                continue;
            }

            lock (device)
            {
                if (device.Window == window && device.Unflushed > 0)
                {
                    batch.Add((deviceId, device, device.Unflushed));
                    (device.Flushing, device.Unflushed) = (device.Flushing + device.Unflushed, 0);
                }
            }
        }

        foreach (var chunk in batch.Chunk(MaxKeysPerCall))
        {
            await FlushChunkAsync(window, chunk, cancellationToken);
        }
    }

    private async Task FlushChunkAsync(long window, (Guid DeviceId, DeviceCount Device, int Added)[] chunk, CancellationToken cancellationToken)
    {
        var keys = chunk.Select(c => (RedisKey)CounterKey(c.DeviceId, window)).ToArray();
        var values = chunk.Select(c => (RedisValue)c.Added).Append((long)(Window * 2).TotalMilliseconds).ToArray();
        RedisResult[]? totals = null;
        // Once the API is stopping, the rest of the chunks are not sent (nor warned about): their counts stay unflushed.
        // A call cut short while in flight may still have reached Redis, like one that timed out; its counts go again
        // with the next flush, which errs towards limiting.
        try
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                // SE.Redis sends the script by its SHA (EVALSHA) once Redis has seen it.
                totals = (RedisResult[]?)await redis.GetDatabase().ScriptEvaluateAsync(AddCounts, keys, values).WaitAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException or OperationCanceledException)
        {
            LogFlushFailed(logger, Requests, chunk.Length, exception);
        }

        for (var i = 0; i < chunk.Length; i++)
        {
            var (deviceId, device, added) = chunk[i];
            lock (device)
            {
                if (device.Window != window)
                {
                    continue;
                }

                device.Flushing -= added;
                if (totals is not null)
                {
                    // Redis's total holds these requests, and the other replicas' flushed ones.
                    device.Known = Math.Max(device.Known + added, (long)totals[i]);
                }
                else
                {
                    // Not stored: they go with the next flush.
                    if (device.Unflushed == 0)
                    {
                        _unflushed.Enqueue(deviceId);
                    }

                    device.Unflushed += added;
                }
            }
        }
    }

    /// <summary>Once per window, forgets the devices that sent nothing in it, so the map holds the devices sending now.</summary>
    private void PruneBefore(long window)
    {
        if (Interlocked.Exchange(ref _prunedWindow, window) == window)
        {
            return;
        }

        foreach (var (deviceId, device) in _devices)
        {
            lock (device)
            {
                if (device.Window < window && device.Flushing == 0)
                {
                    device.Removed = _devices.TryRemove(KeyValuePair.Create(deviceId, device));
                }
            }
        }
    }

    private static long WindowOf(DateTimeOffset time) => time.ToUnixTimeSeconds() / (long)Window.TotalSeconds;

    /// <summary>One device's count in the current window: known from Redis, being flushed, and not flushed yet.</summary>
    private sealed class DeviceCount
    {
        public long Window;
        public long Known;
        public int Flushing;
        public int Unflushed;

        /// <summary>Pruned from the map: a request that found it just before must count on the device's new entry.</summary>
        public bool Removed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Requests} request counts of {Devices} devices did not reach Redis; they go with the next flush")]
    private static partial void LogFlushFailed(ILogger logger, string requests, int devices, Exception exception);
}
