namespace Fleet.DeviceSim.Channels;

/// <summary>What a device's updater and command runner need from its channel.</summary>
public interface IDeviceLink
{
    /// <summary>
    /// Sends a report now when the channel is open and keeps it until the server acknowledges <paramref name="state"/>;
    /// an unacknowledged report is sent again on reconnect. A later report under the same <paramref name="key"/> replaces it.
    /// </summary>
    Task ReportAsync(string key, string state, object message, CancellationToken cancellationToken);

    /// <summary>Takes the device down for a reboot (channel closed, no heartbeats or telemetry); returns once it is up again.</summary>
    Task RebootAsync(CancellationToken cancellationToken);
}
