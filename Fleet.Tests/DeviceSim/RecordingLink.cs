using System.Collections.Concurrent;
using Fleet.DeviceSim;
using Fleet.DeviceSim.Channels;

namespace Fleet.Tests.DeviceSim;

/// <summary>A device's channel reduced to what it was asked to send, and reboots that take the device down for a moment.</summary>
public sealed class RecordingLink(VirtualDevice device, TimeProvider clock, TimeSpan reboot) : IDeviceLink
{
    public ConcurrentQueue<object> Sent { get; } = new();

    private int _reboots;

    public int Reboots => Volatile.Read(ref _reboots);

    public Task ReportAsync(string key, string state, object message, CancellationToken cancellationToken)
    {
        Sent.Enqueue(message);
        return Task.CompletedTask;
    }

    public async Task RebootAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reboots);
        device.Reboot(clock.GetUtcNow(), reboot);
        await Task.Delay(reboot, clock, cancellationToken);
    }
}
