using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceSim;

/// <summary>The <c>Fleet</c> section: how many devices, how they enroll, how often they report.</summary>
public sealed class SimulatorOptions
{
    public const string Section = "Fleet";

    [Range(1, 100_000)]
    public int Devices { get; set; } = 25;

    [Required(ErrorMessage = "Fleet:EnrollmentToken is not set; run through Fleet.AppHost or set Fleet__EnrollmentToken.")]
    public string EnrollmentToken { get; set; } = "";

    [ValidateObjectMembers]
    public SimulatorTuning Simulator { get; set; } = new();
}

/// <summary>The <c>Fleet:Simulator</c> section.</summary>
public sealed class SimulatorTuning
{
    [Range(1, 3600)]
    public int HeartbeatSeconds { get; set; } = 10;

    /// <summary>Serials are <c>{prefix}-{n:D6}</c>; the same prefix and count give the same fleet every run.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9-]{0,40}$")]
    public string SerialPrefix { get; set; } = "SIM";

    /// <summary>Seed for device attributes, so a fleet looks the same from run to run.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Requests in flight at once, registrations and heartbeats together.</summary>
    [Range(1, 256)]
    public int MaxConcurrentRequests { get; set; } = 16;

    [Range(1, 3600)]
    public int SummarySeconds { get; set; } = 30;
}
