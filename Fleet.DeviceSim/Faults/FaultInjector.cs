namespace Fleet.DeviceSim.Faults;

/// <summary>What the faults in force mean for one device right now.</summary>
public readonly record struct DeviceFaults(bool Offline, bool BatteryFaulty, TimeSpan ClockSkew, double DropPercent)
{
    public static readonly DeviceFaults None = new(false, false, TimeSpan.Zero, 0);
}

/// <summary>
/// The faults in force, changeable while running (<c>PUT /faults</c>). Which devices a percentage hits is a stable
/// draw per device and fault, so raising a percentage adds devices and never swaps them.
/// </summary>
public sealed class FaultInjector(FaultSettings initial, int seed)
{
    private const int OfflineSalt = 1;
    private const int BatterySalt = 2;
    private const int SkewSalt = 3;

    private FaultSettings _current = initial with { };

    public FaultSettings Current => Volatile.Read(ref _current);

    /// <summary>Puts <paramref name="settings"/> in force; the caller has validated them.</summary>
    public void Apply(FaultSettings settings) => Volatile.Write(ref _current, settings with { });

    public DeviceFaults For(int deviceIndex)
    {
        var settings = Current;
        return new DeviceFaults(
            Hits(deviceIndex, OfflineSalt, settings.OfflinePercent),
            Hits(deviceIndex, BatterySalt, settings.BatteryFaultPercent),
            settings.ClockSkewSeconds != 0 && Hits(deviceIndex, SkewSalt, settings.ClockSkewPercent) ? TimeSpan.FromSeconds(settings.ClockSkewSeconds) : TimeSpan.Zero,
            settings.DropPercent);
    }

    public bool IsOffline(int deviceIndex) => Hits(deviceIndex, OfflineSalt, Current.OfflinePercent);

    private bool Hits(int deviceIndex, int salt, double percent) =>
        percent > 0 && DeviceSeeds.Draw(seed, deviceIndex, salt) * 100 < percent;
}
