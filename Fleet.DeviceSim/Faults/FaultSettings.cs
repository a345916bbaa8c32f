using System.ComponentModel.DataAnnotations;

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

    /// <summary>The field-level errors of these settings, keyed by camelCase field name; empty when valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true);
        return results
            .SelectMany(result => result.MemberNames.Select(member => (Field: JsonName(member), result.ErrorMessage)))
            .GroupBy(error => error.Field)
            .ToDictionary(group => group.Key, group => group.Select(error => error.ErrorMessage ?? "is not valid.").ToArray());
    }

    private static string JsonName(string member) => char.ToLowerInvariant(member[0]) + member[1..];
}
