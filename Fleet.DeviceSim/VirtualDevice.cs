using Fleet.Contracts;

namespace Fleet.DeviceSim;

/// <summary>One simulated device: fixed attributes from the seed, a key once registered, and drifting readings.</summary>
public sealed class VirtualDevice
{
    private static readonly string[] Types = ["thermostat", "meter", "tracker"];
    private static readonly string[] HardwareRevisions = ["rev-a", "rev-b"];
    private static readonly (string Region, double Lat, double Lon)[] Cities =
    [
        ("eu-west", 48.14, 11.58),
        ("eu-west", 52.52, 13.40),
        ("us-east", 40.71, -74.01),
        ("us-east", 42.36, -71.06),
        ("ap-south", 19.08, 72.88),
        ("ap-south", 12.97, 77.59),
    ];

    private readonly Random _random;
    private readonly DateTimeOffset _bootedAt;

    public VirtualDevice(int index, SimulatorTuning tuning, DateTimeOffset now)
    {
        _random = new Random(HashCode.Combine(tuning.Seed, index));
        var city = Cities[_random.Next(Cities.Length)];
        Serial = $"{tuning.SerialPrefix}-{index:D6}";
        Type = Types[_random.Next(Types.Length)];
        HardwareRevision = HardwareRevisions[_random.Next(HardwareRevisions.Length)];
        Region = city.Region;
        Location = new GeoLocation(city.Lat + (_random.NextDouble() - 0.5) * 0.2, city.Lon + (_random.NextDouble() - 0.5) * 0.2);
        Battery = 60 + _random.NextDouble() * 40;
        _bootedAt = now;
    }

    public string Serial { get; }

    public string Type { get; }

    public string HardwareRevision { get; }

    public string Region { get; }

    public GeoLocation Location { get; }

    public double Battery { get; private set; }

    public string Firmware { get; } = "1.0.0";

    public string Slot { get; } = "A";

    public Guid? DeviceId { get; private set; }

    public string? DeviceKey { get; private set; }

    /// <summary>When the next heartbeat is due.</summary>
    public DateTimeOffset NextHeartbeat { get; set; }

    public RegisterDeviceRequest RegistrationRequest(string enrollmentToken) =>
        new(enrollmentToken, Serial, Type, HardwareRevision, Region, Name: $"{Type} {Serial}", Tags: [Type], Location: Location);

    public void Registered(RegisterDeviceResponse response)
    {
        DeviceId = response.DeviceId;
        DeviceKey = response.DeviceKey;
    }

    public HeartbeatRequest NextHeartbeatReading(DateTimeOffset now)
    {
        Battery = Math.Max(0, Battery - _random.NextDouble() * 0.05);
        return new HeartbeatRequest(
            Math.Round(Battery, 1),
            -50 - _random.Next(60),
            Firmware,
            Slot,
            (long)(now - _bootedAt).TotalSeconds,
            Location);
    }

    /// <summary>Spreads heartbeats over the interval so the fleet does not report in lock step.</summary>
    public TimeSpan Jitter(TimeSpan interval) => TimeSpan.FromMilliseconds(_random.NextDouble() * interval.TotalMilliseconds);
}
