namespace Fleet.DeviceSim.Faults;

/// <summary>What the faults in force mean for one device right now.</summary>
public readonly record struct DeviceFaults(
    bool Offline, bool BatteryFaulty, TimeSpan ClockSkew, double DropPercent, double BatteryDrainMultiplier = 1, bool ReportsErrors = false,
    TimeSpan? CrashAfter = null)
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
    private const int BootSalt = 4;
    private const int CorruptSalt = 5;
    private const int CutSalt = 6;
    private const int ErrorSalt = 7;
    private const int CrashSalt = 8;

    private FaultSettings _current = Copy(initial);

    public FaultSettings Current => Volatile.Read(ref _current);

    /// <summary>Puts <paramref name="settings"/> in force; the caller has validated them.</summary>
    public void Apply(FaultSettings settings) => Volatile.Write(ref _current, Copy(settings));

    public DeviceFaults For(int deviceIndex) => For(deviceIndex, firmware: null);

    /// <param name="firmware">The version the device runs, for the faults tied to a firmware version.</param>
    /// <param name="hardwareRevision">The device's revision, for firmware faults limited to one.</param>
    public DeviceFaults For(int deviceIndex, string? firmware, string hardwareRevision = "")
    {
        var settings = Current;
        return new DeviceFaults(
            Hits(deviceIndex, OfflineSalt, settings.OfflinePercent),
            Hits(deviceIndex, BatterySalt, settings.BatteryFaultPercent),
            settings.ClockSkewSeconds != 0 && Hits(deviceIndex, SkewSalt, settings.ClockSkewPercent) ? TimeSpan.FromSeconds(settings.ClockSkewSeconds) : TimeSpan.Zero,
            settings.DropPercent,
            firmware is null ? 1 : DrainMultiplier(settings, firmware),
            firmware is not null && Hit(settings.ErrorReports, deviceIndex, hardwareRevision, firmware, ErrorSalt) is not null,
            firmware is not null && Hit(settings.Crashes, deviceIndex, hardwareRevision, firmware, CrashSalt) is { } crash
                ? TimeSpan.FromSeconds(crash.AfterSeconds)
                : null);
    }

    public bool IsOffline(int deviceIndex) => Hits(deviceIndex, OfflineSalt, Current.OfflinePercent);

    /// <summary>Whether firmware <paramref name="version"/> fails its boot health check on this device.</summary>
    public bool FailsToBoot(int deviceIndex, string hardwareRevision, string version) =>
        Hit(Current.BootFailures, deviceIndex, hardwareRevision, version, BootSalt) is not null;

    public bool CorruptsDownload(int deviceIndex) => Hits(deviceIndex, CorruptSalt, Current.CorruptDownloadPercent);

    public bool CutsDownload(int deviceIndex) => Hits(deviceIndex, CutSalt, Current.CutDownloadPercent);

    private static double DrainMultiplier(FaultSettings settings, string firmware) =>
        settings.BatteryDrain.FirstOrDefault(fault => string.Equals(fault.Version, firmware, StringComparison.OrdinalIgnoreCase))?.Multiplier ?? 1;

    /// <summary>The first fault of <paramref name="faults"/> for this version and revision whose share takes in the device.</summary>
    private T? Hit<T>(IEnumerable<T> faults, int deviceIndex, string hardwareRevision, string version, int salt)
        where T : FirmwareFault =>
        faults.FirstOrDefault(fault => fault.Matches(version, hardwareRevision) && Hits(deviceIndex, salt, fault.Percent));

    private bool Hits(int deviceIndex, int salt, double percent) =>
        percent > 0 && DeviceSeeds.Draw(seed, deviceIndex, salt) * 100 < percent;

    /// <summary>A copy that no later change to the caller's lists can reach.</summary>
    private static FaultSettings Copy(FaultSettings settings) => settings with
    {
        BootFailures = [.. settings.BootFailures.Select(fault => fault with { })],
        BatteryDrain = [.. settings.BatteryDrain.Select(fault => fault with { })],
        ErrorReports = [.. settings.ErrorReports.Select(fault => fault with { })],
        Crashes = [.. settings.Crashes.Select(fault => fault with { })],
    };
}
