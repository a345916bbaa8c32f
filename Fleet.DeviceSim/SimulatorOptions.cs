using System.ComponentModel.DataAnnotations;

namespace Fleet.DeviceSim;

/// <summary>The <c>Fleet</c> section: how many devices, how they enroll, how often they report.</summary>
public sealed class SimulatorOptions
{
    public const string Section = "Fleet";

    [Range(1, 100_000)]
    public int Devices { get; set; } = 25;

    [Required(ErrorMessage = "Fleet:EnrollmentToken is not set; run through Fleet.AppHost or set Fleet__EnrollmentToken.")]
    public string EnrollmentToken { get; set; } = "";

    public SimulatorTuning Simulator { get; set; } = new();
}

public sealed class SimulatorTuning
{
    [Range(1, 3600)]
    public int HeartbeatSeconds { get; set; } = 10;

    /// <summary>Serials are <c>{prefix}-{n:D6}</c>; the same prefix and count give the same fleet every run.</summary>
    [Required]
    public string SerialPrefix { get; set; } = "SIM";

    /// <summary>Seed for device attributes, so a fleet looks the same from run to run.</summary>
    public int Seed { get; set; } = 42;

    [Range(1, 256)]
    public int RegistrationParallelism { get; set; } = 16;
}
