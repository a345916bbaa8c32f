using Fleet.Contracts;

namespace Fleet.DeviceSim;

/// <summary>
/// One simulated device: fixed attributes from the seed, a key once registered, drifting readings, and when it
/// next wants the API. The scheduler claims a due device and hands it to one worker, so at most one thread
/// touches a device's state at a time.
/// </summary>
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

    private static readonly TimeSpan MaxRegistrationBackoff = TimeSpan.FromSeconds(30);

    private readonly Random _random;
    private readonly DateTimeOffset _bootedAt;
    private long _dueAtMs;
    private int _claimed;
    private long _heartbeats;

    public VirtualDevice(int index, SimulatorTuning tuning, DateTimeOffset now)
    {
        // Not HashCode.Combine: it is randomized per process, and the fleet must look the same on every run.
        _random = new Random(unchecked(tuning.Seed * 1_000_003 + index));
        var city = Cities[_random.Next(Cities.Length)];
        Serial = $"{tuning.SerialPrefix}-{index:D6}";
        Type = Types[_random.Next(Types.Length)];
        HardwareRevision = HardwareRevisions[_random.Next(HardwareRevisions.Length)];
        Region = city.Region;
        Location = new GeoLocation(city.Lat + (_random.NextDouble() - 0.5) * 0.2, city.Lon + (_random.NextDouble() - 0.5) * 0.2);
        Battery = 60 + _random.NextDouble() * 40;
        _bootedAt = now;
        _dueAtMs = now.ToUnixTimeMilliseconds();
    }

    private const int MaxUnsentReadings = 50;
    private readonly List<TelemetryReading> _unsent = [];
    private long _lastSeq;

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

    public int FailedRegistrations { get; private set; }

    /// <summary>Scheduler side: takes the device if it is due and no worker holds it.</summary>
    public bool TryClaim(DateTimeOffset now) =>
        Volatile.Read(ref _claimed) == 0
        && Volatile.Read(ref _dueAtMs) <= now.ToUnixTimeMilliseconds()
        && Interlocked.Exchange(ref _claimed, 1) == 0;

    /// <summary>Worker side: sets when the device is next due and hands it back to the scheduler.</summary>
    public void Release(DateTimeOffset nextDue)
    {
        Volatile.Write(ref _dueAtMs, nextDue.ToUnixTimeMilliseconds());
        Volatile.Write(ref _claimed, 0);
    }

    public RegisterDeviceRequest RegistrationRequest(string enrollmentToken) =>
        new(enrollmentToken, Serial, Type, HardwareRevision, Region, Name: $"{Type} {Serial}", Tags: [Type], Location: Location);

    public void Registered(RegisterDeviceResponse response)
    {
        DeviceId = response.DeviceId;
        DeviceKey = response.DeviceKey;
        FailedRegistrations = 0;
    }

    /// <summary>Exponential backoff with jitter: 1, 2, 4 ... 30 s, each shortened by up to half at random.</summary>
    public TimeSpan RegistrationFailed()
    {
        FailedRegistrations++;
        var backoff = TimeSpan.FromSeconds(Math.Min(MaxRegistrationBackoff.TotalSeconds, Math.Pow(2, FailedRegistrations - 1)));
        return backoff * (0.5 + _random.NextDouble() * 0.5);
    }

    /// <summary>The API does not know the key any more (its database was reset, say): register again.</summary>
    public void ForgetKey()
    {
        DeviceId = null;
        DeviceKey = null;
    }

    public HeartbeatRequest NextHeartbeatReading(DateTimeOffset now)
    {
        _heartbeats++;
        Battery = Math.Max(0, Battery - _random.NextDouble() * 0.05);
        return new HeartbeatRequest(
            Math.Round(Battery, 1),
            -50 - _random.Next(60),
            Firmware,
            Slot,
            (long)(now - _bootedAt).TotalSeconds,
            Location);
    }

    /// <summary>
    /// The readings not yet accepted by the API, with this interval's new one. Sequence numbers follow the
    /// reporting slot (unix time / interval), so a restarted simulator never reuses one and downtime shows as gaps.
    /// </summary>
    public TelemetryBatchRequest NextTelemetryBatch(DateTimeOffset now, TimeSpan interval)
    {
        _lastSeq = Math.Max(_lastSeq + 1, now.ToUnixTimeSeconds() / (long)Math.Max(1, interval.TotalSeconds));
        _unsent.Add(new TelemetryReading(_lastSeq, now, Measure()));
        if (_unsent.Count > MaxUnsentReadings)
        {
            _unsent.RemoveAt(0);
        }

        return new TelemetryBatchRequest([.. _unsent]);
    }

    public void TelemetryDelivered() => _unsent.Clear();

    private Dictionary<string, double> Measure() => Type switch
    {
        "thermostat" => new() { ["temperature"] = Math.Round(21 + _random.NextDouble() * 3, 2), ["humidity"] = Math.Round(40 + _random.NextDouble() * 15, 1) },
        "meter" => new() { ["power_w"] = Math.Round(200 + _random.NextDouble() * 1800, 1), ["voltage_v"] = Math.Round(228 + _random.NextDouble() * 4, 1) },
        _ => new() { ["speed_kmh"] = Math.Round(_random.NextDouble() * 60, 1), ["battery"] = Math.Round(Battery, 1) },
    };

    /// <summary>
    /// A device reports as soon as it is registered, then once at a random point of the interval (so devices registered
    /// together spread out), then every interval ±10 %.
    /// </summary>
    public TimeSpan NextHeartbeatIn(TimeSpan interval) =>
        _heartbeats <= 1 ? interval * _random.NextDouble() : interval * (0.9 + _random.NextDouble() * 0.2);
}
