using Fleet.Api.Rollouts;
using Microsoft.Extensions.Caching.Memory;

namespace Fleet.Api.Mqtt;

/// <summary>
/// A device's command reports and update progress over MQTT get the channel's allowance (the socket's
/// <see cref="DeviceChannelHub.MessageBudget"/>): at most <see cref="DeviceChannelHub.MaxMessagesPerWindow"/> in a
/// <see cref="DeviceChannelHub.FloodWindow"/> window, counted per replica (each takes a share of a device's messages);
/// beyond it they are dropped as rate-limited, where the socket would be closed. A quiet device's budget is forgotten.
/// </summary>
public sealed class MqttReportBudget(IMemoryCache cache)
{
    public bool Take(Guid deviceId) =>
        cache.GetOrCreate(new Key(deviceId), entry =>
        {
            entry.SlidingExpiration = DeviceChannelHub.FloodWindow;
            return new DeviceChannelHub.MessageBudget();
        })!.Take();

    private sealed record Key(Guid DeviceId);
}
