using System.Collections.Concurrent;
using System.Globalization;
using Fleet.Api.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Fleet.Api.Alerts;

/// <summary>
/// What tells the alert evaluator where to look, kept in Redis so every replica feeds the one leader: a set of devices
/// whose data changed since the last evaluation, each device's latest metric values, the holds of conditions waiting
/// for their duration, and when to look at a device again if nothing else changes. The evaluator's work per tick
/// follows these, not the fleet size.
/// </summary>
public sealed partial class AlertSignals(IConnectionMultiplexer redis, IOptions<AlertOptions> options, ILogger<AlertSignals> logger)
    : PeriodicFlusher(options.Value.SignalFlushInterval)
{
    public const string DirtyKey = "fleet:alerts:dirty";
    public const string DueKey = "fleet:alerts:due";
    public const string HoldsKey = "fleet:alerts:holds";
    public const string EventsChannel = Fleet.Contracts.FleetChannels.Alerts;

    public static string MetricsKey(Guid deviceId) => $"fleet:device:{deviceId:N}:metrics";

    // Each device's latest metrics not yet in Redis; a newer batch of the same device replaces its entry.
    private readonly ConcurrentDictionary<Guid, IReadOnlyDictionary<string, double>> _unflushed = new();

    /// <summary>
    /// Latest value of each metric of a reading, and a mark for the evaluator. Ingest does not wait for Redis: the
    /// values go with the next flush, within <see cref="AlertOptions.SignalFlushInterval"/>, all devices' in one pipelined batch.
    /// </summary>
    public void RecordMetrics(Guid deviceId, IReadOnlyDictionary<string, double> metrics) => _unflushed[deviceId] = metrics;

    /// <summary>Writes the recorded metrics and marks their devices changed; what fails stays for the next flush.</summary>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_unflushed.IsEmpty)
        {
            return;
        }

        var taken = _unflushed.ToArray();
        var database = redis.GetDatabase();
        var writes = taken.Select(entry => database.HashSetAsync(MetricsKey(entry.Key),
            [.. entry.Value.Select(m => new HashEntry(m.Key, m.Value.ToString("R", CultureInfo.InvariantCulture)))])).ToList();
        writes.Add(database.SetAddAsync(DirtyKey, [.. taken.Select(entry => (RedisValue)entry.Key.ToString("N"))]));
        try
        {
            await Task.WhenAll(writes).WaitAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException or OperationCanceledException)
        {
            LogFlushFailed(logger, taken.Length, exception);
            return;
        }

        foreach (var entry in taken)
        {
            // Only if no newer batch of the device came meanwhile; that one goes with the next flush.
            _unflushed.TryRemove(entry);
        }
    }

    public Task MarkChangedAsync(IEnumerable<Guid> deviceIds)
    {
        var members = deviceIds.Select(id => (RedisValue)id.ToString("N")).ToArray();
        return members.Length == 0 ? Task.CompletedTask : redis.GetDatabase().SetAddAsync(DirtyKey, members);
    }

    /// <summary>Up to <paramref name="max"/> changed devices, and the devices whose recheck time has come.</summary>
    public async Task<IReadOnlyList<Guid>> TakeAsync(int max, DateTimeOffset now)
    {
        var database = redis.GetDatabase();
        var changed = await database.SetPopAsync(DirtyKey, max);
        var dueAt = now.ToUnixTimeMilliseconds();
        var due = await database.SortedSetRangeByScoreAsync(DueKey, double.NegativeInfinity, dueAt, take: max);
        if (due.Length > 0)
        {
            await database.SortedSetRemoveAsync(DueKey, due);
        }

        return changed.Concat(due).Select(value => Guid.ParseExact(value.ToString(), "N")).Distinct().ToList();
    }

    public async Task<IReadOnlyDictionary<Guid, IReadOnlyDictionary<string, double>>> MetricsAsync(IReadOnlyList<Guid> deviceIds)
    {
        var database = redis.GetDatabase();
        var reads = deviceIds.Select(id => database.HashGetAllAsync(MetricsKey(id))).ToArray();
        await Task.WhenAll(reads);
        var result = new Dictionary<Guid, IReadOnlyDictionary<string, double>>();
        for (var i = 0; i < deviceIds.Count; i++)
        {
            result[deviceIds[i]] = reads[i].Result.ToDictionary(
                entry => entry.Name.ToString(),
                entry => double.Parse(entry.Value.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture));
        }

        return result;
    }

    /// <summary>Battery level from each device's latest heartbeat (see <see cref="RedisKeys.Latest"/>).</summary>
    public async Task<IReadOnlyDictionary<Guid, double?>> BatteriesAsync(IReadOnlyList<Guid> deviceIds)
    {
        var database = redis.GetDatabase();
        var reads = deviceIds.Select(id => database.HashGetAsync(RedisKeys.Latest(id), "battery")).ToArray();
        await Task.WhenAll(reads);
        var result = new Dictionary<Guid, double?>();
        for (var i = 0; i < deviceIds.Count; i++)
        {
            result[deviceIds[i]] = double.TryParse(reads[i].Result.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var battery) ? battery : null;
        }

        return result;
    }

    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> HoldsAsync(IReadOnlyList<string> fields)
    {
        if (fields.Count == 0)
        {
            return new Dictionary<string, DateTimeOffset>();
        }

        var values = await redis.GetDatabase().HashGetAsync(HoldsKey, fields.Select(f => (RedisValue)f).ToArray());
        var holds = new Dictionary<string, DateTimeOffset>();
        for (var i = 0; i < fields.Count; i++)
        {
            // A missing field is RedisValue.Null, which TryParse reads as 0.
            if (!values[i].IsNull && values[i].TryParse(out long since))
            {
                holds[fields[i]] = DateTimeOffset.FromUnixTimeMilliseconds(since);
            }
        }

        return holds;
    }

    /// <summary>Stores started holds, forgets ended ones, and asks for a recheck of devices whose holds are running.</summary>
    public async Task SaveHoldsAsync(IReadOnlyDictionary<string, DateTimeOffset?> holds, IReadOnlyDictionary<Guid, DateTimeOffset> rechecks)
    {
        var database = redis.GetDatabase();
        var started = holds.Where(h => h.Value is not null).Select(h => new HashEntry(h.Key, h.Value!.Value.ToUnixTimeMilliseconds())).ToArray();
        var ended = holds.Where(h => h.Value is null).Select(h => (RedisValue)h.Key).ToArray();
        var writes = new List<Task>();
        if (started.Length > 0)
        {
            writes.Add(database.HashSetAsync(HoldsKey, started));
        }

        if (ended.Length > 0)
        {
            writes.Add(database.HashDeleteAsync(HoldsKey, ended));
        }

        if (rechecks.Count > 0)
        {
            var entries = rechecks.Select(r => new SortedSetEntry(r.Key.ToString("N"), r.Value.ToUnixTimeMilliseconds())).ToArray();
            writes.Add(database.SortedSetAddAsync(DueKey, entries, SortedSetWhen.LessThan));
        }

        await Task.WhenAll(writes);
    }

    public static string HoldField(Guid ruleId, Guid deviceId) => $"{ruleId:N}:{deviceId:N}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Latest metrics of {Devices} devices did not reach Redis; they go with the next flush")]
    private static partial void LogFlushFailed(ILogger logger, int devices, Exception exception);
}
