namespace Fleet.DeviceSim.Models;

/// <summary>
/// A coin-cell room sensor: temperature follows the day (warmest mid-afternoon) around the room's own set point,
/// with slowly wandering noise; relative humidity falls as the room warms.
/// </summary>
public sealed class TemperatureHumiditySensor : DeviceModel
{
    public const string TypeName = "temperature-sensor";
    private static readonly PowerProfile Battery = new(DrainPerHour: 0.01);

    private readonly double _baseCelsius;
    private readonly double _swingCelsius;
    private readonly double _baseHumidity;
    private double _drift;

    public TemperatureHumiditySensor(Random random)
    {
        _baseCelsius = random.Between(19, 24);
        _swingCelsius = random.Between(1, 4);
        _baseHumidity = random.Between(35, 60);
    }

    public override string Type => TypeName;

    public override PowerProfile Power => Battery;

    public override void Read(in SensorClock at, Random random, Dictionary<string, double> metrics)
    {
        _drift = Math.Clamp(_drift * 0.9 + random.Gaussian(0, 0.08), -1.5, 1.5);
        var warming = _swingCelsius * Math.Sin(2 * Math.PI * (at.LocalHour - 9) / 24);
        var celsius = _baseCelsius + warming + _drift + random.Gaussian(0, 0.05);
        var humidity = Math.Clamp(_baseHumidity - 2.5 * (warming + _drift) + random.Gaussian(0, 0.5), 5, 100);
        metrics["temperature_c"] = Noise.Round(celsius, 2);
        metrics["humidity_pct"] = Noise.Round(humidity, 1);
    }
}
