using Fleet.Contracts;
using Fleet.DeviceSim.Channels;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Identity;

namespace Fleet.DeviceSim;

/// <summary>
/// One turn of one device: register it, or let it take its due readings, send its heartbeat and its pending
/// telemetry, and react to what the API answers — Retry-After on 429, exponential backoff with jitter on 5xx and
/// connection errors (readings stay buffered), registering again on 401, dropping a batch the API refuses for good.
/// Per-device failures are logged at Debug; the last one is kept for the summary. An MQTT device registers over HTTP
/// and publishes its heartbeats and telemetry on its MQTT connection (<paramref name="channels"/>), answered the same way.
/// </summary>
public sealed partial class DeviceReporter(
    FleetApiClient api,
    SimulatorStatus status,
    FaultInjector faults,
    TimeProvider clock,
    ILogger<DeviceReporter> logger,
    DeviceChannels? channels = null)
{
    private static readonly ApiOutcome NotConnected = ApiOutcome.Unavailable("not connected to the MQTT broker yet");

    private static readonly TimeSpan AlreadyEnrolledRetry = TimeSpan.FromMinutes(5);
    private string? _lastFailure;
    private int _identitiesChanged;

    public string? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>True once after any device registered or lost its key since the last call.</summary>
    public bool TakeIdentitiesChanged() => Interlocked.Exchange(ref _identitiesChanged, 0) == 1;

    public void MarkIdentitiesChanged() => Volatile.Write(ref _identitiesChanged, 1);

    public async Task ServeAsync(VirtualDevice device, string enrollmentToken, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var deviceFaults = faults.For(device.Index, device.Firmware, device.HardwareRevision);
        if (deviceFaults.Offline || device.IsDown(now))
        {
            device.StayOffline(now);
            return;
        }

        if (deviceFaults.CrashAfter is { } crashAfter && device.Uptime(now) >= crashAfter)
        {
            device.Reboot(now, TimeSpan.Zero);
            LogCrashed(logger, device.Serial, device.Firmware);
        }

        if (device.Identity is { } identity)
        {
            await ReportAsync(device, identity, deviceFaults, now, cancellationToken);
        }
        else
        {
            await RegisterAsync(device, enrollmentToken, now, cancellationToken);
        }
    }

    private async Task RegisterAsync(VirtualDevice device, string enrollmentToken, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await AddLatencyAsync(cancellationToken);
        var (outcome, registration) = await api.RegisterAsync(device.RegistrationRequest(enrollmentToken), cancellationToken);
        if (registration is not null)
        {
            device.Registered(new DeviceIdentity(registration.DeviceId, registration.DeviceKey), clock.GetUtcNow());
            status.DeviceRegistered();
            MarkIdentitiesChanged();
            return;
        }

        status.RegistrationFailed();
        NoteFailure("registration", outcome);
        if (outcome.Status == (int)System.Net.HttpStatusCode.Conflict)
        {
            // The serial is enrolled and this simulator lost its key (its state file): only an operator's allowance lets it in again.
            LogAlreadyEnrolled(logger, device.Serial, AlreadyEnrolledRetry.TotalMinutes);
            device.BackOff(now, AlreadyEnrolledRetry);
            return;
        }

        var retryIn = device.BackOff(now, outcome.RetryAfter);
        LogRegistrationRetry(logger, device.Serial, outcome.Reason, retryIn.TotalSeconds);
    }

    private async Task ReportAsync(VirtualDevice device, DeviceIdentity identity, DeviceFaults deviceFaults, DateTimeOffset now, CancellationToken cancellationToken)
    {
        device.Advance(now, deviceFaults);
        var (taken, dropped, overflowed) = device.TakeDueReadings(now, deviceFaults);
        status.ReadingsTaken(taken, dropped, overflowed);

        if (device.HeartbeatDue(now))
        {
            await AddLatencyAsync(cancellationToken);
            var outcome = await SendHeartbeatAsync(device, identity, device.Heartbeat(now), cancellationToken);
            if (outcome.Kind == ApiOutcomeKind.Accepted)
            {
                status.HeartbeatSent();
                device.HeartbeatSent(now);
            }
            else
            {
                status.HeartbeatFailed();
                NoteFailure("heartbeat", outcome);
                LogCallFailed(logger, "heartbeat", device.Serial, outcome.Reason);
                if (!HandleFailure(device, outcome, now, telemetry: false))
                {
                    return;
                }

                device.HeartbeatSent(now);
            }
        }

        if (device.MaySendTelemetry(now))
        {
            await SendTelemetryAsync(device, identity, now, cancellationToken);
        }
    }

    private async Task SendTelemetryAsync(VirtualDevice device, DeviceIdentity identity, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await AddLatencyAsync(cancellationToken);
        var batch = device.PendingBatch();
        var outcome = await SendTelemetryAsync(device, identity, batch, cancellationToken);
        switch (outcome.Kind)
        {
            case ApiOutcomeKind.Accepted:
                device.TelemetryDone(batch.Readings!.Count);
                status.TelemetrySent(batch.Readings!.Sum(reading => reading.Metrics!.Count));
                return;
            case ApiOutcomeKind.RateLimited:
                status.RateLimited();
                break;
            case ApiOutcomeKind.Rejected:
                // Sending it again cannot succeed (a clock skewed beyond the API's window, say): let it go.
                status.TelemetryRejected();
                device.TelemetryDone(batch.Readings!.Count);
                break;
            default:
                status.TelemetryFailed();
                break;
        }

        NoteFailure("telemetry", outcome);
        LogCallFailed(logger, "telemetry", device.Serial, outcome.Reason);
        if (outcome.Kind is not ApiOutcomeKind.Rejected)
        {
            HandleFailure(device, outcome, now, telemetry: true);
        }
    }

    private async Task<ApiOutcome> SendHeartbeatAsync(VirtualDevice device, DeviceIdentity identity, HeartbeatRequest heartbeat, CancellationToken cancellationToken) =>
        channels is null || !channels.UsesMqtt(device) ? await api.SendHeartbeatAsync(identity.DeviceKey, heartbeat, cancellationToken)
        : channels.MqttLinkOf(device) is { } mqtt ? await mqtt.SendHeartbeatAsync(heartbeat, cancellationToken)
        : NotConnected;

    private async Task<ApiOutcome> SendTelemetryAsync(VirtualDevice device, DeviceIdentity identity, TelemetryBatchRequest batch, CancellationToken cancellationToken) =>
        channels is null || !channels.UsesMqtt(device) ? await api.SendTelemetryAsync(identity.DeviceKey, batch, cancellationToken)
        : channels.MqttLinkOf(device) is { } mqtt ? await mqtt.SendTelemetryAsync(batch, cancellationToken)
        : NotConnected;

    /// <summary>A 429 on telemetry holds back only telemetry; anything else that is not final backs the whole device off.</summary>
    /// <returns>Whether the device may go on with its turn.</returns>
    private bool HandleFailure(VirtualDevice device, ApiOutcome outcome, DateTimeOffset now, bool telemetry)
    {
        switch (outcome.Kind)
        {
            case ApiOutcomeKind.Unauthorized:
                device.ForgetKey();
                status.DeviceLostKey();
                MarkIdentitiesChanged();
                LogKeyRejected(logger, device.Serial);
                return false;
            case ApiOutcomeKind.RateLimited when telemetry && outcome.RetryAfter is { } retryAfter:
                device.TelemetryRateLimited(now, retryAfter);
                return true;
            case ApiOutcomeKind.Rejected:
                return true;
            default:
                device.BackOff(now, outcome.RetryAfter);
                return false;
        }
    }

    private Task AddLatencyAsync(CancellationToken cancellationToken) =>
        faults.Current.LatencyMs is > 0 and var latency ? Task.Delay(TimeSpan.FromMilliseconds(latency), clock, cancellationToken) : Task.CompletedTask;

    private void NoteFailure(string call, ApiOutcome outcome) => Volatile.Write(ref _lastFailure, $"{call}: {outcome.Reason}");

    [LoggerMessage(Level = LogLevel.Warning, Message = "The API refuses to enroll {Serial} again: the serial is enrolled and this simulator no longer has its key (state file lost?). An operator can allow one re-enrollment with POST /api/v1/devices/{{id}}/re-enrollment; trying again in {Minutes} min")]
    private static partial void LogAlreadyEnrolled(ILogger logger, string serial, double minutes);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Registration of {Serial} failed ({Reason}); retrying in {Seconds:0.0} s")]
    private static partial void LogRegistrationRetry(ILogger logger, string serial, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The {Call} of {Serial} failed: {Reason}")]
    private static partial void LogCallFailed(ILogger logger, string call, string serial, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The API no longer accepts the key of {Serial}; registering it again")]
    private static partial void LogKeyRejected(ILogger logger, string serial);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Device {Serial} crashed on firmware {Firmware} (crash fault) and reset")]
    private static partial void LogCrashed(ILogger logger, string serial, string firmware);
}
