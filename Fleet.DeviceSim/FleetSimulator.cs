using Microsoft.Extensions.Options;

namespace Fleet.DeviceSim;

/// <summary>
/// Runs the whole simulated fleet in one loop: registers every device (a bounded number at a time, retrying
/// with backoff), then sends each device's heartbeat when it is due. No thread per device.
/// </summary>
public sealed partial class FleetSimulator(
    FleetApiClient api,
    IOptions<SimulatorOptions> options,
    SimulatorStatus status,
    TimeProvider clock,
    ILogger<FleetSimulator> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var interval = TimeSpan.FromSeconds(settings.Simulator.HeartbeatSeconds);
        var now = clock.GetUtcNow();
        var devices = Enumerable.Range(1, settings.Devices).Select(i => new VirtualDevice(i, settings.Simulator, now)).ToList();
        status.SetDevices(devices.Count);

        await Parallel.ForEachAsync(
            devices,
            new ParallelOptions { MaxDegreeOfParallelism = settings.Simulator.RegistrationParallelism, CancellationToken = stoppingToken },
            async (device, cancellationToken) =>
            {
                await RegisterWithRetryAsync(device, settings.EnrollmentToken, cancellationToken);
                device.NextHeartbeat = clock.GetUtcNow();
            });
        LogRegistered(logger, devices.Count);

        using var timer = new PeriodicTimer(Tick, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            now = clock.GetUtcNow();
            var due = devices.Where(device => device.NextHeartbeat <= now).ToList();
            foreach (var device in due)
            {
                device.NextHeartbeat = now + interval * 0.9 + device.Jitter(interval * 0.2);
            }

            await Parallel.ForEachAsync(
                due,
                new ParallelOptions { MaxDegreeOfParallelism = settings.Simulator.RegistrationParallelism, CancellationToken = stoppingToken },
                async (device, cancellationToken) => await SendHeartbeatAsync(device, now, cancellationToken));
        }
    }

    private async Task RegisterWithRetryAsync(VirtualDevice device, string enrollmentToken, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                device.Registered(await api.RegisterAsync(device.RegistrationRequest(enrollmentToken), cancellationToken));
                status.DeviceRegistered();
                return;
            }
            catch (HttpRequestException exception)
            {
                LogRegistrationRetry(logger, device.Serial, exception.StatusCode?.ToString() ?? exception.Message, delay.TotalSeconds);
                await Task.Delay(delay, clock, cancellationToken);
                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
            }
        }
    }

    private async Task SendHeartbeatAsync(VirtualDevice device, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            await api.SendHeartbeatAsync(device.DeviceKey!, device.NextHeartbeatReading(now), cancellationToken);
            status.HeartbeatSent();
        }
        catch (HttpRequestException exception)
        {
            status.HeartbeatFailed();
            LogHeartbeatFailed(logger, device.Serial, exception.StatusCode?.ToString() ?? exception.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} simulated devices registered")]
    private static partial void LogRegistered(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registration of {Serial} failed ({Reason}); retrying in {Seconds} s")]
    private static partial void LogRegistrationRetry(ILogger logger, string serial, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat of {Serial} failed: {Reason}")]
    private static partial void LogHeartbeatFailed(ILogger logger, string serial, string reason);
}
