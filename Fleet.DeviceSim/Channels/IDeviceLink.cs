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

/// <summary>
/// One device's connection for what the server sends it and what it answers: the WebSocket channel
/// (<see cref="DeviceLink"/>) or its MQTT connection (<see cref="Mqtt.MqttDeviceLink"/>).
/// </summary>
public interface IDeviceTransport : IDeviceLink, IDisposable
{
    VirtualDevice Device { get; }

    Updates.DeviceUpdater Updater { get; }

    Commands.DeviceCommands Commands { get; }

    bool IsOpen { get; }

    /// <summary>Keeps the connection while the device is registered and up, reconnecting with backoff, until <paramref name="stopping"/> ends.</summary>
    Task RunAsync(CancellationToken stopping);

    /// <summary>Closes the connection now (the device went down); the run loop reconnects once it is up.</summary>
    void Disconnect();
}
