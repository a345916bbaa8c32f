using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Updates;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceSim.Channels;

/// <summary>
/// The channels of the whole simulated fleet: one <see cref="DeviceLink"/> per device, each an async loop (no thread
/// per device), with connection attempts limited to <c>MaxConcurrentRequests</c> at once so a fleet starting up or
/// coming back after an API restart does not storm it.
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
    private DeviceLink[] _links = [];
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

    /// <summary>Ends when the simulator stops: updates and commands under way run until then.</summary>
    internal CancellationToken Stopping => _stopping;

    /// <summary>The link of the device with this index (1-based, as <see cref="VirtualDevice.Index"/>), once running.</summary>
    public DeviceLink LinkOf(VirtualDevice device) => Volatile.Read(ref _links)[device.Index - 1];

    /// <summary>Keeps every device's channel until <paramref name="stopping"/> ends.</summary>
    public async Task RunAsync(IReadOnlyList<VirtualDevice> devices, CancellationToken stopping)
    {
        _stopping = stopping;
        var links = devices.Select(device => new DeviceLink(device, this)).ToArray();
        Volatile.Write(ref _links, links);
        try
        {
            await Task.WhenAll(links.Select(link => link.RunAsync(stopping)));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: every channel closes with its loop.
        }

        await Task.WhenAll(links.Select(link => link.Updater.Work)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var link in links)
        {
            link.Dispose();
        }
    }

    /// <summary>The offline fault holds this device: its channel closes (the run loop stays away while the fault lasts).</summary>
    public void HoldOffline(VirtualDevice device)
    {
        var links = Volatile.Read(ref _links);
        if (device.Index - 1 < links.Length && links[device.Index - 1].IsOpen)
        {
            links[device.Index - 1].Disconnect();
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
