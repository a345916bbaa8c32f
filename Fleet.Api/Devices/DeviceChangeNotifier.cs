using System.Text.Json;
using Fleet.Contracts;
using StackExchange.Redis;

namespace Fleet.Api.Devices;

/// <summary>
/// Tells the UI (Redis pub/sub, <see cref="FleetChannels.DeviceChanges"/>) that a device's lifecycle, firmware or
/// environment changed. Fire and forget: the change is already stored, so a lost message costs a live update, not state,
/// and the heartbeat mirror's flush never waits on Redis.
/// </summary>
public sealed class DeviceChangeNotifier(IConnectionMultiplexer redis)
{
    public void Publish(IEnumerable<DeviceChangeMessage> changes)
    {
        var subscriber = redis.GetSubscriber();
        var channel = RedisChannel.Literal(FleetChannels.DeviceChanges);
        foreach (var change in changes)
        {
            subscriber.Publish(channel, JsonSerializer.Serialize(change, JsonSerializerOptions.Web), CommandFlags.FireAndForget);
        }
    }
}
