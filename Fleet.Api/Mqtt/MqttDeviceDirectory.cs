using Fleet.Api.Devices;
using Fleet.Contracts;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;

namespace Fleet.Api.Mqtt;

/// <summary>
/// Whether a device that published is known and in service. The broker already refuses devices that are not active; this
/// catches messages that were in flight when one was suspended, and devices another api's database holds (several fleets
/// on one broker). Answers are remembered for <see cref="Ttl"/>, misses too, so a flood from an unknown id costs one query.
/// </summary>
public sealed class MqttDeviceDirectory(NpgsqlDataSource dataSource, IMemoryCache cache)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);

    public async Task<DeviceLifecycle?> LifecycleAsync(Guid deviceId, CancellationToken cancellationToken)
    {
        var key = new Entry(deviceId);
        if (cache.TryGetValue(key, out DeviceLifecycle? lifecycle))
        {
            return lifecycle;
        }

        await using var command = dataSource.CreateCommand("SELECT lifecycle FROM devices WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        lifecycle = await command.ExecuteScalarAsync(cancellationToken) is string name ? Enum.Parse<DeviceLifecycle>(name) : null;
        cache.Set(key, lifecycle, Ttl);
        return lifecycle;
    }

    private sealed record Entry(Guid DeviceId);
}
