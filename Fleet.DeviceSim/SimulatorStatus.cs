namespace Fleet.DeviceSim;

/// <summary>Counters the simulator exposes on <c>/status</c>, for tests, benchmarks and people.</summary>
public sealed class SimulatorStatus
{
    private int _devices;
    private int _registered;
    private long _heartbeatsSent;
    private long _heartbeatFailures;

    public void SetDevices(int count) => Interlocked.Exchange(ref _devices, count);

    public void DeviceRegistered() => Interlocked.Increment(ref _registered);

    public void HeartbeatSent() => Interlocked.Increment(ref _heartbeatsSent);

    public void HeartbeatFailed() => Interlocked.Increment(ref _heartbeatFailures);

    public Snapshot Current() => new(
        Volatile.Read(ref _devices),
        Volatile.Read(ref _registered),
        Interlocked.Read(ref _heartbeatsSent),
        Interlocked.Read(ref _heartbeatFailures));

    public sealed record Snapshot(int Devices, int Registered, long HeartbeatsSent, long HeartbeatFailures);
}
