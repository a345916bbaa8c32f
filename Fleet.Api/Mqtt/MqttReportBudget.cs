using Fleet.Api.Rollouts;
using Microsoft.Extensions.Caching.Memory;

namespace Fleet.Api.Mqtt;

/// <summary>
/// A device's command reports and update progress over MQTT get the channel's allowance: at most
/// <see cref="DeviceChannelHub.MaxMessagesPerWindow"/> in a <see cref="DeviceChannelHub.FloodWindow"/> window, counted per
/// replica (each takes a share of a device's messages); beyond it they are dropped as rate-limited, where the socket
/// would be closed.
/// </summary>
public sealed class MqttReportBudget(IMemoryCache cache)
{
    public bool Take(Guid deviceId)
    {
        var window = cache.GetOrCreate(new Key(deviceId), entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = DeviceChannelHub.FloodWindow;
            return new Window();
        })!;
        return Interlocked.Increment(ref window.Count) <= DeviceChannelHub.MaxMessagesPerWindow;
    }

    private sealed class Window
    {
        public int Count;
    }

    private sealed record Key(Guid DeviceId);
}
