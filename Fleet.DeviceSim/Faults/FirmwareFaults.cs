using System.ComponentModel.DataAnnotations;

namespace Fleet.DeviceSim.Faults;

/// <summary>A fault of firmware <see cref="Version"/> on <see cref="HardwareRevision"/> (empty: every revision) for <see cref="Percent"/> of those devices.</summary>
public abstract record FirmwareFault
{
    [Required]
    [RegularExpression(FirmwareFaultPatterns.Version, ErrorMessage = "must be a version such as 2.0.1.")]
    public string Version { get; set; } = "";

    /// <summary>e.g. <c>rev-b</c>, compared without regard to case; empty or absent: every revision.</summary>
    [RegularExpression("^[A-Za-z0-9-]{0,40}$", ErrorMessage = "must be a hardware revision such as rev-b.")]
    public string? HardwareRevision { get; set; }

    [Range(0.0, 100.0)]
    public double Percent { get; set; } = 100;

    public bool Matches(string version, string hardwareRevision) =>
        string.Equals(Version, version, StringComparison.OrdinalIgnoreCase)
        && (string.IsNullOrEmpty(HardwareRevision) || string.Equals(HardwareRevision, hardwareRevision, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The firmware does not come up healthy after its reboot; those devices roll back to their previous slot by themselves.</summary>
public sealed record BootFailureFault : FirmwareFault;

/// <summary>
/// The firmware runs but reports errors: every reading of those devices carries the metric <c>errors</c> above zero
/// (the rollout gate's error signal). Devices without the fault send no <c>errors</c> metric at all.
/// </summary>
public sealed record ErrorReportFault : FirmwareFault;

/// <summary>
/// The firmware runs but crashes: each time a device's uptime reaches <see cref="AfterSeconds"/> it resets at once
/// (a watchdog reset, so its uptime starts again), which the rollout gate sees as a reboot.
/// </summary>
public sealed record CrashFault : FirmwareFault
{
    [Range(1, 86_400)]
    public int AfterSeconds { get; set; } = 30;
}

/// <summary>Devices running firmware <see cref="Version"/> drain their battery <see cref="Multiplier"/> times as fast.</summary>
public sealed record BatteryDrainFault
{
    [Required]
    [RegularExpression(FirmwareFaultPatterns.Version, ErrorMessage = "must be a version such as 2.0.2.")]
    public string Version { get; set; } = "";

    [Range(0.0, 1000.0)]
    public double Multiplier { get; set; } = 2;
}

internal static class FirmwareFaultPatterns
{
    public const string Version = "^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$";
}
