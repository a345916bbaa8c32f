using Fleet.Api.Devices;
using Fleet.Contracts;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;

namespace Fleet.Api.Mqtt;

/// <summary>
/// Whether a device that published is known and in service. The broker is the authority on who may publish (it refuses
/// and drops devices that are not active at once); this catches devices another api's database holds (several fleets on
/// one broker) and messages that were on their way when a device was suspended. Active devices are remembered for
/// <see cref="Ttl"/>, so 10,000 devices cost a query each per five minutes, not one every few messages; other answers
/// (unknown, suspended) for <see cref="MissTtl"/>, so a flood from an unknown id costs a query every few seconds.
/// </summary>
public sealed class MqttDeviceDirectory(NpgsqlDataSource dataSource, IMemoryCache cache)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MissTtl = TimeSpan.FromSeconds(10);

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
        // Only "active" is kept long: a device activated again must not wait out a remembered suspension.
        cache.Set(key, lifecycle, lifecycle == DeviceLifecycle.Active ? Ttl : MissTtl);
        return lifecycle;
    }

    private sealed record Entry(Guid DeviceId);
}
