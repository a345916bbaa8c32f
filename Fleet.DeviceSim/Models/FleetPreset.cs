namespace Fleet.DeviceSim.Models;

/// <summary>
/// A kind of site the simulated fleet stands for: which device models in what proportion, and how its electrical
/// loads follow the day.
/// </summary>
public sealed record FleetPreset(string Name, LoadProfile Load, IReadOnlyList<(string Type, int Weight)> Mix)
{
    public static readonly FleetPreset Home = new("home", LoadProfile.Residential,
    [
        (TemperatureHumiditySensor.TypeName, 35),
        (SmartLock.TypeName, 20),
        (Camera.TypeName, 20),
        (AcPowerMeter.TypeName, 15),
        (Tracker.TypeName, 10),
    ]);

    public static readonly FleetPreset Office = new("office", LoadProfile.Office,
    [
        (TemperatureHumiditySensor.TypeName, 40),
        (SmartLock.TypeName, 20),
        (Camera.TypeName, 15),
        (AcPowerMeter.TypeName, 15),
        (DcPowerMeter.TypeName, 5),
        (Tracker.TypeName, 5),
    ]);

    public static readonly FleetPreset Factory = new("factory", LoadProfile.Industrial,
    [
        (AcPowerMeter.TypeName, 30),
        (TemperatureHumiditySensor.TypeName, 25),
        (DcPowerMeter.TypeName, 20),
        (Tracker.TypeName, 15),
        (Camera.TypeName, 10),
    ]);

    public static readonly IReadOnlyList<FleetPreset> All = [Home, Office, Factory];

    public static FleetPreset Named(string name) =>
        All.SingleOrDefault(preset => string.Equals(preset.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown preset '{name}'; use {string.Join(", ", All.Select(p => p.Name))}.", nameof(name));

    /// <summary>The expected share (0..1) of <paramref name="type"/> in a large fleet of this preset.</summary>
    public double ShareOf(string type) =>
        (double)Mix.Where(entry => entry.Type == type).Sum(entry => entry.Weight) / Mix.Sum(entry => entry.Weight);

    public string PickType(Random random)
    {
        var roll = random.Next(Mix.Sum(entry => entry.Weight));
        foreach (var (type, weight) in Mix)
        {
            if (roll < weight)
            {
                return type;
            }

            roll -= weight;
        }

        return Mix[^1].Type;
    }

    /// <summary>A new sensor model of <paramref name="type"/> for a device installed in <paramref name="city"/>.</summary>
    public DeviceModel CreateModel(string type, Random random, City city) => type switch
    {
        TemperatureHumiditySensor.TypeName => new TemperatureHumiditySensor(random),
        AcPowerMeter.TypeName => new AcPowerMeter(random, Load == LoadProfile.Industrial ? city.IndustrialGrid : city.Grid, Load),
        DcPowerMeter.TypeName => new DcPowerMeter(random, Load),
        Camera.TypeName => new Camera(random),
        SmartLock.TypeName => new SmartLock(random),
        Tracker.TypeName => new Tracker(random),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a simulated device type."),
    };
}

/// <summary>A city devices are installed around; its region is the one the API records.</summary>
public sealed record City(string Name, string Region, double Lat, double Lon, Grid Grid, Grid IndustrialGrid)
{
    public static readonly IReadOnlyList<City> All =
    [
        new("Munich", "eu-west", 48.137, 11.575, Grid.European, Grid.IndustrialEuropean),
        new("Berlin", "eu-west", 52.520, 13.405, Grid.European, Grid.IndustrialEuropean),
        new("Paris", "eu-west", 48.857, 2.352, Grid.European, Grid.IndustrialEuropean),
        new("New York", "us-east", 40.713, -74.006, Grid.NorthAmerican, Grid.IndustrialNorthAmerican),
        new("Boston", "us-east", 42.360, -71.059, Grid.NorthAmerican, Grid.IndustrialNorthAmerican),
        new("Mumbai", "ap-south", 19.076, 72.878, Grid.European, Grid.IndustrialEuropean),
        new("Bangalore", "ap-south", 12.972, 77.595, Grid.European, Grid.IndustrialEuropean),
    ];
}
