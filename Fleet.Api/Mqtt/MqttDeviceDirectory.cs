using System.Collections.Concurrent;
using Fleet.Api.Devices;
using Fleet.Contracts;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;

namespace Fleet.Api.Mqtt;

/// <summary>
/// Whether a device that published is known and in service. The broker is the authority on who may publish (it refuses
/// and drops devices that are not active at once); this catches devices another api's database holds (several fleets on
/// one broker) and messages that were on their way when a device was suspended. Active devices are remembered for
/// <see cref="Ttl"/>, so 10,000 devices cost a lookup each per five minutes, not one every few messages; other answers
/// (unknown, suspended) for <see cref="MissTtl"/>, so a flood from an unknown id costs a lookup every few seconds.
/// Lookups are batched: when thousands of devices publish at once (the api starting, or the cache expiring under load),
/// the devices not remembered are looked up together, up to <see cref="MaxLookupBatch"/> in one query on one connection,
/// instead of a query each exhausting the connection pool.
/// </summary>
public sealed class MqttDeviceDirectory(NpgsqlDataSource dataSource, IMemoryCache cache)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MissTtl = TimeSpan.FromSeconds(10);
    public const int MaxLookupBatch = 1_000;

    private readonly ConcurrentDictionary<Guid, Task<DeviceLifecycle?>> _lookingUp = new();
    private readonly ConcurrentQueue<(Guid DeviceId, TaskCompletionSource<DeviceLifecycle?> Answer)> _queue = new();
    private int _lookupRunning;

    /// <summary>The device's lifecycle, or null when no such device exists; throws what the database threw when it could not say.</summary>
    public ValueTask<DeviceLifecycle?> LifecycleAsync(Guid deviceId, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(new Entry(deviceId), out DeviceLifecycle? lifecycle))
        {
            return ValueTask.FromResult(lifecycle);
        }

        var answer = new TaskCompletionSource<DeviceLifecycle?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lookup = _lookingUp.GetOrAdd(deviceId, answer.Task);
        if (lookup == answer.Task)
        {
            _queue.Enqueue((deviceId, answer));
            if (Interlocked.CompareExchange(ref _lookupRunning, 1, 0) == 0)
            {
                _ = Task.Run(LookUpQueuedAsync, CancellationToken.None);
            }
        }

        return new ValueTask<DeviceLifecycle?>(lookup.WaitAsync(cancellationToken));
    }

    /// <summary>Runs while devices wait to be looked up; only one runs at a time, so a burst shares its queries.</summary>
    private async Task LookUpQueuedAsync()
    {
        var batch = new List<(Guid DeviceId, TaskCompletionSource<DeviceLifecycle?> Answer)>();
        while (true)
        {
            batch.Clear();
            while (batch.Count < MaxLookupBatch && _queue.TryDequeue(out var queued))
            {
                batch.Add(queued);
            }

            if (batch.Count == 0)
            {
                Volatile.Write(ref _lookupRunning, 0);
                // A device queued between the last dequeue and the reset would be left waiting: take it, unless another run has.
                if (_queue.IsEmpty || Interlocked.CompareExchange(ref _lookupRunning, 1, 0) != 0)
                {
                    return;
                }

                continue;
            }

            try
            {
                var found = await QueryAsync(batch.Select(b => b.DeviceId).ToArray());
                foreach (var (deviceId, answer) in batch)
                {
                    var lifecycle = found.TryGetValue(deviceId, out var known) ? known : (DeviceLifecycle?)null;
                    // Only "active" is kept long: a device activated again must not wait out a remembered suspension.
                    cache.Set(new Entry(deviceId), lifecycle, lifecycle == DeviceLifecycle.Active ? Ttl : MissTtl);
                    _lookingUp.TryRemove(deviceId, out _);
                    answer.TrySetResult(lifecycle);
                }
            }
            catch (Exception exception)
            {
                foreach (var (deviceId, answer) in batch)
                {
                    _lookingUp.TryRemove(deviceId, out _);
                    answer.TrySetException(exception);
                }
            }
        }
    }

    private async Task<Dictionary<Guid, DeviceLifecycle>> QueryAsync(Guid[] deviceIds)
    {
        await using var command = dataSource.CreateCommand("SELECT id, lifecycle FROM devices WHERE id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = deviceIds });
        var found = new Dictionary<Guid, DeviceLifecycle>(deviceIds.Length);
        await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
        while (await reader.ReadAsync(CancellationToken.None))
        {
            found[reader.GetGuid(0)] = Enum.Parse<DeviceLifecycle>(reader.GetString(1));
        }

        return found;
    }

    private sealed record Entry(Guid DeviceId);
}
