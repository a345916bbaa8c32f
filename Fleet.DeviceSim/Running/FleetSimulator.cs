using System.Threading.Channels;
using Fleet.DeviceSim.Channels;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Identity;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceSim;

/// <summary>
/// Runs the whole simulated fleet without a thread or timer per device: one scheduler loop hands each due device to
/// a bounded pool of workers, which register it or let it report (<see cref="DeviceReporter"/>). Identities go to
/// the state file whenever they change, so a restart is the same fleet. Each device also keeps its channel
/// (<see cref="DeviceChannels"/>) for updates and commands. A summary is logged regularly.
/// </summary>
public sealed partial class FleetSimulator(
    DeviceReporter reporter,
    DeviceChannels channels,
    IOptions<SimulatorOptions> options,
    SimulatorStatus status,
    FaultInjector faults,
    DeviceIdentityFile stateFile,
    TimeProvider clock,
    ILogger<FleetSimulator> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan StateSaveInterval = TimeSpan.FromSeconds(2);

    private VirtualDevice[] _devices = [];

    /// <summary>The simulated devices, once the simulator has started.</summary>
    public IReadOnlyList<VirtualDevice> Devices => Volatile.Read(ref _devices);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        var devices = Enumerable.Range(1, settings.Devices).Select(i => new VirtualDevice(i, settings.Simulator, now)).ToArray();
        status.SetFleet(devices.Length, settings.Simulator.Preset);
        await RestoreIdentitiesAsync(devices, now, stoppingToken);
        Volatile.Write(ref _devices, devices);
        LogStarting(logger, devices.Length, settings.Simulator.Preset, settings.Simulator.HeartbeatSeconds, settings.Simulator.TelemetrySeconds,
            settings.Simulator.MaxConcurrentRequests);

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var due = Channel.CreateUnbounded<VirtualDevice>(new UnboundedChannelOptions { SingleWriter = true });
        var tasks = Enumerable.Range(0, settings.Simulator.MaxConcurrentRequests)
            .Select(_ => WorkAsync(due.Reader, settings.EnrollmentToken, stopping.Token))
            .Append(ScheduleAsync(devices, due.Writer, settings.Simulator, stopping.Token))
            .Append(SaveIdentitiesAsync(devices, stopping.Token))
            .ToList();
        if (settings.Simulator.Channels || settings.Simulator.Protocol != DeviceProtocol.Http)
        {
            tasks.Add(channels.RunAsync(devices, stopping.Token));
        }

        try
        {
            // The first task to end is either cancelled (shutdown) or faulted (a bug): either way, surface it.
            await await Task.WhenAny(tasks);
        }
        finally
        {
            // No worker may still touch a device once the simulator has stopped; then the last identities are saved.
            await stopping.CancelAsync();
            await Task.WhenAll(tasks).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await SaveIfChangedAsync(devices, CancellationToken.None);
        }
    }

    private async Task RestoreIdentitiesAsync(VirtualDevice[] devices, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            var stored = await stateFile.LoadAsync(cancellationToken);
            foreach (var device in devices)
            {
                if (stored.TryGetValue(device.Serial, out var identity))
                {
                    device.Registered(identity, now);
                    status.DeviceRegistered();
                }
            }

            var restored = devices.Count(device => device.Identity is not null);
            LogRestored(logger, restored, stateFile.Path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            LogStateUnreadable(logger, stateFile.Path, exception.Message);
        }
    }

    private async Task ScheduleAsync(VirtualDevice[] devices, ChannelWriter<VirtualDevice> due, SimulatorTuning tuning, CancellationToken cancellationToken)
    {
        var started = clock.GetTimestamp();
        var summaryInterval = TimeSpan.FromSeconds(tuning.SummarySeconds);
        var nextSummary = clock.GetUtcNow() + summaryInterval;
        var previous = status.Current();
        var allRegistered = false;
        using var timer = new PeriodicTimer(Tick, clock);
        do
        {
            var now = clock.GetUtcNow();
            var offline = 0;
            foreach (var device in devices)
            {
                if (faults.IsOffline(device.Index))
                {
                    offline++;
                    channels.HoldOffline(device);
                }

                if (device.TryClaim(now))
                {
                    due.TryWrite(device);
                }
            }

            status.SetOffline(offline);
            var current = status.Current();
            if (!allRegistered && current.Registered == devices.Length)
            {
                allRegistered = true;
                var elapsed = clock.GetElapsedTime(started);
                LogAllRegistered(logger, devices.Length, elapsed.TotalSeconds, current.RegistrationFailures);
            }

            if (now >= nextSummary)
            {
                nextSummary = now + summaryInterval;
                LogSummary(logger, current.Registered, current.Devices, current.Offline, current.HeartbeatsSent - previous.HeartbeatsSent,
                    current.TelemetryPointsSent - previous.TelemetryPointsSent, current.ReadingsDropped - previous.ReadingsDropped);
                var failures = (current.HeartbeatFailures + current.RegistrationFailures + current.TelemetryFailures + current.RateLimited + current.TelemetryRejected)
                    - (previous.HeartbeatFailures + previous.RegistrationFailures + previous.TelemetryFailures + previous.RateLimited + previous.TelemetryRejected);
                if (failures > 0)
                {
                    LogRecentFailures(logger, failures, current.RateLimited - previous.RateLimited, reporter.LastFailure);
                }

                previous = current;
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    private async Task WorkAsync(ChannelReader<VirtualDevice> due, string enrollmentToken, CancellationToken cancellationToken)
    {
        await foreach (var device in due.ReadAllAsync(cancellationToken))
        {
            await reporter.ServeAsync(device, enrollmentToken, cancellationToken);
            device.Release();
        }
    }

    private async Task SaveIdentitiesAsync(VirtualDevice[] devices, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(StateSaveInterval, clock);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            await SaveIfChangedAsync(devices, cancellationToken);
        }
    }

    private async Task SaveIfChangedAsync(VirtualDevice[] devices, CancellationToken cancellationToken)
    {
        if (!reporter.TakeIdentitiesChanged())
        {
            return;
        }

        var identities = new Dictionary<string, DeviceIdentity>(devices.Length);
        foreach (var device in devices)
        {
            if (device.Identity is { } identity)
            {
                identities[device.Serial] = identity;
            }
        }

        try
        {
            await stateFile.SaveAsync(identities, cancellationToken);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            reporter.MarkIdentitiesChanged();
            LogStateUnwritable(logger, stateFile.Path, exception.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Simulating {Count} devices ({Preset}): a heartbeat every {HeartbeatSeconds} s and a reading every {TelemetrySeconds} s each, at most {Concurrency} requests at once")]
    private static partial void LogStarting(ILogger logger, int count, string preset, int heartbeatSeconds, int telemetrySeconds, int concurrency);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} device identities restored from {Path}")]
    private static partial void LogRestored(ILogger logger, int count, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The state file {Path} cannot be read ({Reason}); devices register afresh")]
    private static partial void LogStateUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The state file {Path} cannot be written ({Reason}); trying again shortly")]
    private static partial void LogStateUnwritable(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "All {Count} simulated devices registered in {Seconds:0.0} s ({Failures} failed attempts retried)")]
    private static partial void LogAllRegistered(ILogger logger, int count, double seconds, long failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Registered}/{Devices} devices registered, {Offline} held offline; since last summary {Heartbeats} heartbeats and {Points} points sent, {Dropped} readings dropped by the drop fault")]
    private static partial void LogSummary(ILogger logger, int registered, int devices, int offline, long heartbeats, long points, long dropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Since last summary {Failures} calls failed ({RateLimited} rate-limited); last failure: {LastFailure}")]
    private static partial void LogRecentFailures(ILogger logger, long failures, long rateLimited, string? lastFailure);
}
