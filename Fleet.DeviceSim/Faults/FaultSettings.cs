using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceSim.Faults;

/// <summary>
/// The <c>Fleet:Simulator:Faults</c> section and the body of <c>GET/PUT /faults</c>. Percentages of devices pick
/// the same devices every time for a given seed (each fault draws its own devices).
/// </summary>
public sealed record FaultSettings
{
    /// <summary>Share of readings taken but never sent: the API sees sequence gaps.</summary>
    [Range(0.0, 100.0)]
    public double DropPercent { get; set; }

    /// <summary>Milliseconds waited before every request, as a slow network would.</summary>
    [Range(0, 60_000)]
    public int LatencyMs { get; set; }

    /// <summary>Share of devices that stop reporting altogether (no heartbeats, no telemetry) while set.</summary>
    [Range(0.0, 100.0)]
    public double OfflinePercent { get; set; }

    /// <summary>Share of devices whose battery drains fast, never recharges and soon reports below 20 %.</summary>
    [Range(0.0, 100.0)]
    public double BatteryFaultPercent { get; set; }

    /// <summary>Seconds added to the timestamps of the skewed devices (negative: their clocks are behind).</summary>
    [Range(-86_400, 86_400)]
    public int ClockSkewSeconds { get; set; }

    /// <summary>Share of devices whose clock is off by <see cref="ClockSkewSeconds"/>.</summary>
    [Range(0.0, 100.0)]
    public double ClockSkewPercent { get; set; } = 100;

    /// <summary>Share of devices whose firmware downloads arrive with a flipped byte, so the sha256 check fails.</summary>
    [Range(0.0, 100.0)]
    public double CorruptDownloadPercent { get; set; }

    /// <summary>Share of devices whose firmware download is cut midway once; they resume it with an HTTP Range request.</summary>
    [Range(0.0, 100.0)]
    public double CutDownloadPercent { get; set; }

    /// <summary>Firmware versions that fail their boot health check on some devices, e.g. 2.0.1 on rev-b for 30 %.</summary>
    [ValidateEnumeratedItems]
    public List<BootFailureFault> BootFailures { get; set => field = value ?? []; } = [];

    /// <summary>Firmware versions that drain the battery faster, e.g. 2.0.2 twice as fast.</summary>
    [ValidateEnumeratedItems]
    public List<BatteryDrainFault> BatteryDrain { get; set => field = value ?? []; } = [];

    /// <summary>Firmware versions whose devices report errors in their readings, e.g. 2.0.3 on every revision.</summary>
    [ValidateEnumeratedItems]
    public List<ErrorReportFault> ErrorReports { get; set => field = value ?? []; } = [];

    /// <summary>Firmware versions that crash (reset at once) after some uptime, e.g. 2.0.5 every 30 s.</summary>
    [ValidateEnumeratedItems]
    public List<CrashFault> Crashes { get; set => field = value ?? []; } = [];

    /// <summary>The field-level errors of these settings, keyed by camelCase field name (<c>bootFailures[0].percent</c>); empty when valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = Errors(this, "")
            .Concat(BootFailures.SelectMany((fault, i) => fault is null ? [($"bootFailures[{i}]", "must be an object.")] : Errors(fault, $"bootFailures[{i}].")))
            .Concat(BatteryDrain.SelectMany((fault, i) => fault is null ? [($"batteryDrain[{i}]", "must be an object.")] : Errors(fault, $"batteryDrain[{i}].")))
            .Concat(ErrorReports.SelectMany((fault, i) => fault is null ? [($"errorReports[{i}]", "must be an object.")] : Errors(fault, $"errorReports[{i}].")))
            .Concat(Crashes.SelectMany((fault, i) => fault is null ? [($"crashes[{i}]", "must be an object.")] : Errors(fault, $"crashes[{i}].")));
        return errors
            .GroupBy(error => error.Field)
            .ToDictionary(group => group.Key, group => group.Select(error => error.Message).ToArray());
    }

    public bool Equals(FaultSettings? other) =>
        other is not null
        && (DropPercent, LatencyMs, OfflinePercent, BatteryFaultPercent, ClockSkewSeconds, ClockSkewPercent, CorruptDownloadPercent, CutDownloadPercent)
            == (other.DropPercent, other.LatencyMs, other.OfflinePercent, other.BatteryFaultPercent, other.ClockSkewSeconds, other.ClockSkewPercent,
                other.CorruptDownloadPercent, other.CutDownloadPercent)
        && BootFailures.SequenceEqual(other.BootFailures)
        && BatteryDrain.SequenceEqual(other.BatteryDrain)
        && ErrorReports.SequenceEqual(other.ErrorReports)
        && Crashes.SequenceEqual(other.Crashes);

    public override int GetHashCode() =>
        HashCode.Combine(DropPercent, LatencyMs, OfflinePercent, BatteryFaultPercent, ClockSkewSeconds, ClockSkewPercent, BootFailures.Count, BatteryDrain.Count + ErrorReports.Count + Crashes.Count);

    private static IEnumerable<(string Field, string Message)> Errors(object instance, string prefix)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true);
        return results.SelectMany(result => result.MemberNames.Select(member => (prefix + JsonName(member), result.ErrorMessage ?? "is not valid.")));
    }

    private static string JsonName(string member) => char.ToLowerInvariant(member[0]) + member[1..];
}
