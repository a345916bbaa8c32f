namespace Fleet.DeviceSim;

/// <summary>
/// Stable random numbers from (seed, device index): the same on every run and every machine, unlike
/// <see cref="HashCode"/>, which is randomized per process.
/// </summary>
public static class DeviceSeeds
{
    /// <summary>The seed of a device's own random stream.</summary>
    public static int ForDevice(int seed, int index) => unchecked((int)Mix((ulong)(uint)seed << 32 | (uint)index));

    /// <summary>A number in [0, 1) for one device and one purpose (<paramref name="salt"/>), e.g. whether a fault hits it.</summary>
    public static double Draw(int seed, int index, int salt) =>
        (Mix(unchecked(((ulong)(uint)seed << 32 | (uint)index) * 31 + (ulong)salt)) >> 11) * (1.0 / (1UL << 53));

    /// <summary>SplitMix64's finaliser.</summary>
    private static ulong Mix(ulong value)
    {
        unchecked
        {
            value += 0x9E3779B97F4A7C15UL;
            value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9UL;
            value = (value ^ (value >> 27)) * 0x94D049BB133111EBUL;
            return value ^ (value >> 31);
        }
    }
}

/// <summary>How often devices report; each interval is varied by up to <see cref="Jitter"/> either way.</summary>
public sealed record ReportingSchedule(TimeSpan Heartbeat, TimeSpan Telemetry, double Jitter)
{
    public static ReportingSchedule From(SimulatorTuning tuning) =>
        new(TimeSpan.FromSeconds(tuning.HeartbeatSeconds), TimeSpan.FromSeconds(tuning.TelemetrySeconds), tuning.JitterPercent / 100.0);

    public long JitteredMs(TimeSpan interval, Random random) =>
        (long)(interval.TotalMilliseconds * (1 + Jitter * (2 * random.NextDouble() - 1)));
}
