namespace Fleet.DeviceSim.Models;

/// <summary>Mains electricity where a device is installed: nominal voltage and frequency.</summary>
public sealed record Grid(double Volts, double Hertz)
{
    public static readonly Grid European = new(230, 50);
    public static readonly Grid NorthAmerican = new(120, 60);
    public static readonly Grid IndustrialEuropean = new(400, 50);
    public static readonly Grid IndustrialNorthAmerican = new(480, 60);
}

/// <summary>
/// An AC meter on a site's supply: voltage sags a little under load, the frequency wobbles around nominal, the
/// load follows its profile with noise and the odd motor-start spike; power = V · I · power factor.
/// </summary>
public sealed class AcPowerMeter : DeviceModel
{
    public const string TypeName = "ac-power-meter";

    private readonly Grid _grid;
    private readonly LoadProfile _profile;
    private readonly double _ratedWatts;
    private readonly double _powerFactor;
    private double _energyKwh;

    public AcPowerMeter(Random random, Grid grid, LoadProfile profile)
    {
        _grid = grid;
        _profile = profile;
        _ratedWatts = profile switch
        {
            LoadProfile.Residential => random.Between(3_000, 9_000),
            LoadProfile.Office => random.Between(15_000, 60_000),
            _ => random.Between(80_000, 400_000),
        };
        _powerFactor = random.Between(0.82, 0.98);
        _energyKwh = Noise.Round(random.Between(0, 50_000), 0);
    }

    public override string Type => TypeName;

    public override PowerProfile Power => PowerProfile.Mains;

    public LoadProfile Profile => _profile;

    public override void Read(in SensorClock at, Random random, Dictionary<string, double> metrics)
    {
        var share = Math.Clamp(_profile.Share(at) * (1 + random.Gaussian(0, 0.05)), 0.02, 1.2);
        if (random.NextDouble() < 0.02)
        {
            share *= 1.5;
        }

        var watts = _ratedWatts * share;
        var volts = _grid.Volts * (1 + random.Gaussian(0, 0.006) - 0.015 * share);
        var powerFactor = Math.Clamp(_powerFactor + random.Gaussian(0, 0.01), 0.5, 1.0);
        _energyKwh += watts / 1000 * at.ElapsedHours;
        metrics["voltage_v"] = Noise.Round(volts, 1);
        metrics["current_a"] = Noise.Round(watts / (volts * powerFactor), 2);
        metrics["power_w"] = Noise.Round(watts, 1);
        metrics["power_factor"] = Noise.Round(powerFactor, 3);
        metrics["frequency_hz"] = Noise.Round(_grid.Hertz + random.Gaussian(0, 0.02), 3);
        metrics["energy_kwh"] = Noise.Round(_energyKwh, 3);
    }
}

/// <summary>
/// A DC meter on a battery bank or a 12/24/48 V bus (telecom racks, solar storage, drives): the bus sags with
/// load; power = V · I.
/// </summary>
public sealed class DcPowerMeter : DeviceModel
{
    public const string TypeName = "dc-power-meter";
    private static readonly double[] BusVolts = [12, 24, 48];

    private readonly LoadProfile _profile;
    private readonly double _busVolts;
    private readonly double _ratedAmps;
    private double _energyKwh;

    public DcPowerMeter(Random random, LoadProfile profile)
    {
        _profile = profile;
        _busVolts = BusVolts[random.Next(BusVolts.Length)];
        _ratedAmps = random.Between(10, 80);
        _energyKwh = Noise.Round(random.Between(0, 5_000), 0);
    }

    public override string Type => TypeName;

    public override PowerProfile Power => PowerProfile.Mains;

    public override void Read(in SensorClock at, Random random, Dictionary<string, double> metrics)
    {
        var share = Math.Clamp(_profile.Share(at) * (1 + random.Gaussian(0, 0.04)), 0.02, 1.1);
        var amps = _ratedAmps * share;
        var volts = _busVolts * (1.05 - 0.06 * share + random.Gaussian(0, 0.004));
        var watts = volts * amps;
        _energyKwh += watts / 1000 * at.ElapsedHours;
        metrics["voltage_v"] = Noise.Round(volts, 2);
        metrics["current_a"] = Noise.Round(amps, 2);
        metrics["power_w"] = Noise.Round(watts, 1);
        metrics["energy_kwh"] = Noise.Round(_energyKwh, 3);
    }
}
