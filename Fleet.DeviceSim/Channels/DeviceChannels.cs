using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Identity;
using Fleet.DeviceSim.Mqtt;
using Fleet.DeviceSim.Updates;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceSim.Channels;

/// <summary>
/// The channels of the whole simulated fleet: per device a <see cref="DeviceLink"/> (WebSocket) or, for an MQTT device,
/// an <see cref="MqttDeviceLink"/>, each an async loop (no thread per device), with connection attempts limited to
/// <c>MaxConcurrentRequests</c> at once so a fleet starting up or coming back after an API or broker restart does not
/// storm it.
/// </summary>
public sealed partial class DeviceChannels(
    IDeviceChannelConnector connector,
    FirmwareDownloader downloader,
    FaultInjector faults,
    SimulatorStatus status,
    IOptions<SimulatorOptions> options,
    TimeProvider clock,
    ILogger<DeviceChannels> logger) : IDisposable
{
    private readonly SimulatorTuning _tuning = options.Value.Simulator;
    private IDeviceTransport?[] _links = [];
    private CancellationToken _stopping;

    internal IDeviceChannelConnector Connector => connector;

    internal FirmwareDownloader Downloader => downloader;

    internal FaultInjector Faults => faults;

    internal SimulatorStatus Status => status;

    internal TimeProvider Clock => clock;

    internal ILogger Logger => logger;

    internal SemaphoreSlim ConnectTurns { get; } = new(options.Value.Simulator.MaxConcurrentRequests);

    internal TimeSpan RebootTime { get; } = TimeSpan.FromSeconds(options.Value.Simulator.RebootSeconds);

    internal TimeSpan MaxBackoff { get; } = TimeSpan.FromSeconds(options.Value.Simulator.ChannelMaxBackoffSeconds);

    internal MqttBrokerSettings Broker { get; } = options.Value.Mqtt;

    /// <summary>Whether devices take updates and commands (<c>Fleet:Simulator:Channels</c>); MQTT devices connect either way, for their reports.</summary>
    internal bool Downlink => _tuning.Channels;

    /// <summary>Ends when the simulator stops: updates and commands under way run until then.</summary>
    internal CancellationToken Stopping => _stopping;

    private static readonly TimeSpan WaitForRegistration = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A link's turn in its run loop: the device's identity once it is registered, not held offline and not down;
    /// otherwise null after waiting a moment (or until it is up), and the loop asks again.
    /// </summary>
    internal async Task<DeviceIdentity?> WhenConnectableAsync(VirtualDevice device, CancellationToken stopping)
    {
        var now = clock.GetUtcNow();
        if (device.Identity is not { } identity || faults.IsOffline(device.Index))
        {
            await Task.Delay(RetryBackoff.Jittered(WaitForRegistration, Random.Shared), clock, stopping);
            return null;
        }

        if (device.IsDown(now))
        {
            await Task.Delay(device.DownUntil - now, clock, stopping);
            return null;
        }

        return identity;
    }

    /// <summary>Takes the device down for a reboot and closes its link; returns once it is up again.</summary>
    internal async Task RebootAsync(IDeviceTransport link, CancellationToken cancellationToken)
    {
        link.Device.Reboot(clock.GetUtcNow(), RebootTime);
        link.Disconnect();
        await Task.Delay(RebootTime, clock, cancellationToken);
    }

    /// <summary>Whether this device speaks MQTT (<c>Fleet:Simulator:Protocol</c>), known before its link runs.</summary>
    public bool UsesMqtt(VirtualDevice device) => DeviceProtocol.UsesMqtt(_tuning, device.Index);

    /// <summary>The link of the device (by <see cref="VirtualDevice.Index"/>), once running; none for an HTTP device while channels are off.</summary>
    public IDeviceTransport? LinkOf(VirtualDevice device) =>
        Volatile.Read(ref _links) is var links && device.Index - 1 < links.Length ? links[device.Index - 1] : null;

    /// <summary>The MQTT connection of an MQTT device, once running.</summary>
    public MqttDeviceLink? MqttLinkOf(VirtualDevice device) => LinkOf(device) as MqttDeviceLink;

    /// <summary>Keeps every device's channel until <paramref name="stopping"/> ends.</summary>
    public async Task RunAsync(IReadOnlyList<VirtualDevice> devices, CancellationToken stopping)
    {
        _stopping = stopping;
        var links = devices.Select(device => UsesMqtt(device) ? new MqttDeviceLink(device, this)
            : Downlink ? (IDeviceTransport)new DeviceLink(device, this)
            : null).ToArray();
        Volatile.Write(ref _links, links);
        var running = links.OfType<IDeviceTransport>().ToArray();
        try
        {
            await Task.WhenAll(running.Select(link => link.RunAsync(stopping)));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: every channel closes with its loop.
        }

        await Task.WhenAll(running.Select(link => link.Updater.Work)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var link in running)
        {
            link.Dispose();
        }
    }

    /// <summary>The offline fault holds this device: its channel closes (the run loop stays away while the fault lasts).</summary>
    public void HoldOffline(VirtualDevice device)
    {
        if (LinkOf(device) is { IsOpen: true } link)
        {
            link.Disconnect();
        }
    }

    /// <summary>Watches background work of a device (an update, a command) and logs it if it fails for an unexpected reason.</summary>
    internal void Track(Task work) => _ = work.ContinueWith(
        task => LogBackgroundFailure(logger, task.Exception!.GetBaseException()),
        CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    public void Dispose() => ConnectTurns.Dispose();

    [LoggerMessage(Level = LogLevel.Error, Message = "A device's update or command failed unexpectedly")]
    private static partial void LogBackgroundFailure(ILogger logger, Exception exception);
}
