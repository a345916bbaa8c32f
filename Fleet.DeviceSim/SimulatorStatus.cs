namespace Fleet.DeviceSim;

/// <summary>Counters the simulator exposes on <c>/status</c>, for tests, benchmarks and people.</summary>
public sealed class SimulatorStatus
{
    private int _devices;
    private int _registered;
    private long _heartbeatsSent;
    private long _heartbeatFailures;
    private long _registrationFailures;
    private long _telemetryPointsSent;
    private long _telemetryFailures;

    public void SetDevices(int count) => Interlocked.Exchange(ref _devices, count);

    public void DeviceRegistered() => Interlocked.Increment(ref _registered);

    /// <summary>The API no longer knows the device's key; it will register again.</summary>
    public void DeviceLostKey() => Interlocked.Decrement(ref _registered);

    public void RegistrationFailed() => Interlocked.Increment(ref _registrationFailures);

    public void HeartbeatSent() => Interlocked.Increment(ref _heartbeatsSent);

    public void HeartbeatFailed() => Interlocked.Increment(ref _heartbeatFailures);

    public void TelemetrySent(int points) => Interlocked.Add(ref _telemetryPointsSent, points);

    public void TelemetryFailed() => Interlocked.Increment(ref _telemetryFailures);

    public Snapshot Current() => new(
        Volatile.Read(ref _devices),
        Volatile.Read(ref _registered),
        Interlocked.Read(ref _heartbeatsSent),
        Interlocked.Read(ref _heartbeatFailures),
        Interlocked.Read(ref _registrationFailures),
        Interlocked.Read(ref _telemetryPointsSent),
        Interlocked.Read(ref _telemetryFailures));

    public sealed record Snapshot(
        int Devices, int Registered, long HeartbeatsSent, long HeartbeatFailures, long RegistrationFailures, long TelemetryPointsSent, long TelemetryFailures);
}
