using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Polly;

namespace Fleet.DeviceSim;

/// <summary>
/// Runs the whole simulated fleet without a thread per device: one scheduler loop hands each due device to a
/// bounded pool of workers, which register it (retrying with backoff) or send its heartbeat. A device whose key
/// the API no longer knows registers again. Per-device failures are logged at Debug; a summary goes out regularly.
/// </summary>
public sealed partial class FleetSimulator(
    FleetApiClient api,
    IOptions<SimulatorOptions> options,
    SimulatorStatus status,
    TimeProvider clock,
    ILogger<FleetSimulator> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private string? _lastFailure;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        var devices = Enumerable.Range(1, settings.Devices).Select(i => new VirtualDevice(i, settings.Simulator, now)).ToArray();
        status.SetDevices(devices.Length);
        LogStarting(logger, devices.Length, settings.Simulator.HeartbeatSeconds, settings.Simulator.MaxConcurrentRequests);

        var due = Channel.CreateUnbounded<VirtualDevice>(new UnboundedChannelOptions { SingleWriter = true });
        var tasks = Enumerable.Range(0, settings.Simulator.MaxConcurrentRequests)
            .Select(_ => WorkAsync(due.Reader, settings, stoppingToken))
            .Append(ScheduleAsync(devices, due.Writer, settings.Simulator, stoppingToken))
            .ToList();

        // The first task to end is either cancelled (shutdown) or faulted (a bug): either way, surface it.
        await await Task.WhenAny(tasks);
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
            foreach (var device in devices)
            {
                if (device.TryClaim(now))
                {
                    due.TryWrite(device);
                }
            }

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
                LogSummary(logger, current.Registered, current.Devices, current.HeartbeatsSent - previous.HeartbeatsSent, current.HeartbeatFailures - previous.HeartbeatFailures);
                if (current.HeartbeatFailures + current.RegistrationFailures > previous.HeartbeatFailures + previous.RegistrationFailures)
                {
                    LogRecentFailures(logger, current.HeartbeatFailures - previous.HeartbeatFailures, current.RegistrationFailures - previous.RegistrationFailures, Volatile.Read(ref _lastFailure));
                }

                previous = current;
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    private async Task WorkAsync(ChannelReader<VirtualDevice> due, SimulatorOptions settings, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(settings.Simulator.HeartbeatSeconds);
        await foreach (var device in due.ReadAllAsync(cancellationToken))
        {
            var nextIn = device.DeviceKey is null
                ? await RegisterAsync(device, settings.EnrollmentToken, cancellationToken)
                : await SendHeartbeatAsync(device, device.DeviceKey, interval, cancellationToken);
            device.Release(clock.GetUtcNow() + nextIn);
        }
    }

    /// <returns>How long until the device wants the API again: at once after success, a backoff after failure.</returns>
    private async Task<TimeSpan> RegisterAsync(VirtualDevice device, string enrollmentToken, CancellationToken cancellationToken)
    {
        try
        {
            device.Registered(await api.RegisterAsync(device.RegistrationRequest(enrollmentToken), cancellationToken));
            status.DeviceRegistered();
            return TimeSpan.Zero;
        }
        catch (Exception exception) when (IsApiFailure(exception, cancellationToken))
        {
            status.RegistrationFailed();
            var retryIn = device.RegistrationFailed();
            var reason = NoteFailure("registration", exception);
            LogRegistrationRetry(logger, device.Serial, reason, retryIn.TotalSeconds);
            return retryIn;
        }
    }

    private async Task<TimeSpan> SendHeartbeatAsync(VirtualDevice device, string deviceKey, TimeSpan interval, CancellationToken cancellationToken)
    {
        try
        {
            var now = clock.GetUtcNow();
            await api.SendHeartbeatAsync(deviceKey, device.NextHeartbeatReading(now), cancellationToken);
            status.HeartbeatSent();
            await SendTelemetryAsync(device, deviceKey, now, interval, cancellationToken);
            return device.NextHeartbeatIn(interval);
        }
        catch (HttpRequestException exception) when (exception.StatusCode == HttpStatusCode.Unauthorized)
        {
            status.HeartbeatFailed();
            NoteFailure("heartbeat", exception);
            device.ForgetKey();
            status.DeviceLostKey();
            LogKeyRejected(logger, device.Serial);
            return TimeSpan.Zero;
        }
        catch (Exception exception) when (IsApiFailure(exception, cancellationToken))
        {
            status.HeartbeatFailed();
            var reason = NoteFailure("heartbeat", exception);
            LogHeartbeatFailed(logger, device.Serial, reason);
            return device.NextHeartbeatIn(interval);
        }
    }

    /// <summary>Readings the API did not take stay with the device and go out again with the next batch.</summary>
    private async Task SendTelemetryAsync(VirtualDevice device, string deviceKey, DateTimeOffset now, TimeSpan interval, CancellationToken cancellationToken)
    {
        var batch = device.NextTelemetryBatch(now, interval);
        try
        {
            await api.SendTelemetryAsync(deviceKey, batch, cancellationToken);
            device.TelemetryDelivered();
            status.TelemetrySent(batch.Readings!.Sum(reading => reading.Metrics!.Count));
        }
        catch (Exception exception) when (IsApiFailure(exception, cancellationToken))
        {
            status.TelemetryFailed();
            NoteFailure("telemetry", exception);
        }
    }

    /// <summary>Failures of one call to the API (refused, timed out, rejected by resilience, error status), not bugs or shutdown.</summary>
    private static bool IsApiFailure(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        HttpRequestException or ExecutionRejectedException or JsonException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    private string NoteFailure(string call, Exception exception)
    {
        var reason = exception is HttpRequestException { StatusCode: { } code } ? $"{(int)code} {code}" : exception.Message;
        Volatile.Write(ref _lastFailure, $"{call}: {reason}");
        return reason;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Simulating {Count} devices, a heartbeat every {HeartbeatSeconds} s each, at most {Concurrency} requests at once")]
    private static partial void LogStarting(ILogger logger, int count, int heartbeatSeconds, int concurrency);

    [LoggerMessage(Level = LogLevel.Information, Message = "All {Count} simulated devices registered in {Seconds:0.0} s ({Failures} failed attempts retried)")]
    private static partial void LogAllRegistered(ILogger logger, int count, double seconds, long failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Registered}/{Devices} devices registered; since last summary {Sent} heartbeats sent, {Failed} failed")]
    private static partial void LogSummary(ILogger logger, int registered, int devices, long sent, long failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Since last summary {HeartbeatFailures} heartbeats and {RegistrationFailures} registrations failed; last failure: {LastFailure}")]
    private static partial void LogRecentFailures(ILogger logger, long heartbeatFailures, long registrationFailures, string? lastFailure);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Registration of {Serial} failed ({Reason}); retrying in {Seconds:0.0} s")]
    private static partial void LogRegistrationRetry(ILogger logger, string serial, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Heartbeat of {Serial} failed: {Reason}")]
    private static partial void LogHeartbeatFailed(ILogger logger, string serial, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The API no longer accepts the key of {Serial}; registering it again")]
    private static partial void LogKeyRejected(ILogger logger, string serial);
}
