namespace Fleet.DeviceSim.Models;

/// <summary>
/// A GPS tracker on a vehicle: it drives along a heading that wanders, stops now and then, turns back when it gets
/// far from its depot, and charges from the vehicle when low.
/// </summary>
public sealed class Tracker : DeviceModel
{
    public const string TypeName = "tracker";
    private const double RangeKm = 25;
    private static readonly PowerProfile Battery = new(DrainPerHour: 4, ChargeBelow: 30, ChargePerHour: 40);

    private readonly double _cruiseKmh;
    private double _speedKmh;
    private double _heading;
    private double _odometerKm;

    public Tracker(Random random)
    {
        _cruiseKmh = random.Between(25, 90);
        _heading = random.Between(0, 360);
        _speedKmh = random.NextDouble() < 0.3 ? 0 : _cruiseKmh;
    }

    public override string Type => TypeName;

    public override PowerProfile Power => Battery;

    public double SpeedKmh => _speedKmh;

    public override void Move(Position position, double hours, Random random)
    {
        if (_speedKmh > 0 && random.NextDouble() < 0.05)
        {
            _speedKmh = 0;
        }
        else if (_speedKmh == 0 && random.NextDouble() < 0.2)
        {
            _speedKmh = _cruiseKmh * 0.5;
        }
        else if (_speedKmh > 0)
        {
            _speedKmh = Math.Clamp(_speedKmh + random.Gaussian(0, 5) + 0.2 * (_cruiseKmh - _speedKmh), 5, 130);
        }

        _heading = position.KmFromHome() > RangeKm
            ? position.HeadingHome() + random.Gaussian(0, 20)
            : _heading + random.Gaussian(0, 15);
        _heading = ((_heading % 360) + 360) % 360;
        var km = _speedKmh * Math.Min(hours, 0.25);
        position.Travel(km, _heading);
        _odometerKm += km;
    }

    public override void Read(in SensorClock at, Random random, Dictionary<string, double> metrics)
    {
        metrics["speed_kmh"] = Noise.Round(_speedKmh, 1);
        metrics["heading_deg"] = Noise.Round(_heading, 0);
        metrics["odometer_km"] = Noise.Round(_odometerKm, 2);
    }
}
