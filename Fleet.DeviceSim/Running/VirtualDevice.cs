using Fleet.Contracts;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Identity;
using Fleet.DeviceSim.Models;
using Fleet.DeviceSim.Updates;

namespace Fleet.DeviceSim;

/// <summary>
/// One simulated device: fixed attributes from the seed, a sensor model, a battery, a position, a key once
/// registered, the readings the API has not taken yet, and when it next wants the API. The scheduler claims a due
/// device and hands it to one worker, so at most one thread touches a device's state at a time.
/// </summary>
public sealed class VirtualDevice
{
    /// <summary>Readings kept while the API does not take them; older ones are dropped beyond this.</summary>
    public const int MaxUnsentReadings = 50;

    /// <summary>The metric a device with firmware errors reports (the API's default <c>Fleet:Rollouts:ErrorMetric</c>).</summary>
    public const string ErrorMetric = "errors";

    private static readonly string[] HardwareRevisions = ["rev-a", "rev-a", "rev-a", "rev-b", "rev-b", "rev-c"];
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    private readonly Random _random;
    private readonly ReportingSchedule _schedule;
    private long _bootedAtMs;
    private readonly Lock _configLock = new();
    private long _downUntilMs;
    private long _telemetryIntervalMs;
    private IReadOnlyDictionary<string, string> _config = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;
    private readonly List<TelemetryReading> _unsent = [];
    private DeviceIdentity? _identity;
    private long _dueAtMs;
    private int _claimed;
    private long _nextHeartbeatMs;
    private long _nextSampleMs;
    private long _holdUntilMs;
    private long _telemetryHoldUntilMs;
    private long _lastAdvancedMs;
    private long _lastSampleMs;
    private long _lastSeq;
    private int _failures;

    public VirtualDevice(int index, SimulatorTuning tuning, DateTimeOffset now)
    {
        Index = index;
        _random = new Random(DeviceSeeds.ForDevice(tuning.Seed, index));
        _schedule = ReportingSchedule.From(tuning);
        var preset = FleetPreset.Named(tuning.Preset);
        Serial = $"{tuning.SerialPrefix}-{index:D6}";
        var type = preset.PickType(_random);
        HardwareRevision = HardwareRevisions[_random.Next(HardwareRevisions.Length)];
        City = City.All[_random.Next(City.All.Count)];
        var spread = type == Tracker.TypeName ? 0.08 : 0.04;
        Position = new Position(City.Lat + _random.Gaussian(0, spread), City.Lon + _random.Gaussian(0, spread));
        Model = preset.CreateModel(type, _random, City);
        Battery = new Battery(Model.Power, _random.Between(40, 100));
        Signal = new SignalStrength(_random.Between(-100, -55));
        _telemetryIntervalMs = (long)_schedule.Telemetry.TotalMilliseconds;
        _bootedAtMs = _lastAdvancedMs = _lastSampleMs = _dueAtMs = now.ToUnixTimeMilliseconds();
        _nextHeartbeatMs = _nextSampleMs = _dueAtMs;
    }

    public int Index { get; }

    public string Serial { get; }

    public string Type => Model.Type;

    public string HardwareRevision { get; }

    public City City { get; }

    public string Region => City.Region;

    /// <summary>Every tenth device is green, the rest blue, so blue/green rollouts have both; from the index, not the random stream.</summary>
    public string Environment => Index % 10 == 9 ? "green" : "blue";

    public DeviceModel Model { get; }

    public Position Position { get; }

    public Battery Battery { get; }

    public SignalStrength Signal { get; }

    /// <summary>Both slots hold this version when the simulator starts.</summary>
    public const string FactoryFirmware = "1.0.0";

    public FirmwareSlots Slots { get; } = new(FactoryFirmware);

    public string Firmware => Slots.Running.Version;

    public string Slot => Slots.Running.Slot;

    /// <summary>The interval between readings; <c>set_interval</c> changes it.</summary>
    public TimeSpan TelemetryInterval => TimeSpan.FromMilliseconds(Volatile.Read(ref _telemetryIntervalMs));

    /// <summary>Settings applied by <c>set_config</c>, sent in every heartbeat.</summary>
    public IReadOnlyDictionary<string, string> Config => Volatile.Read(ref _config);

    /// <summary>Id and key once registered (or restored from the state file); null while it must register.</summary>
    public DeviceIdentity? Identity => Volatile.Read(ref _identity);

    public int UnsentReadings => _unsent.Count;

    /// <summary>Scheduler side: takes the device if it is due and no worker holds it.</summary>
    public bool TryClaim(DateTimeOffset now) =>
        Volatile.Read(ref _claimed) == 0
        && Volatile.Read(ref _dueAtMs) <= now.ToUnixTimeMilliseconds()
        && Interlocked.Exchange(ref _claimed, 1) == 0;

    /// <summary>Worker side: works out when the device is next due and hands it back to the scheduler.</summary>
    public void Release()
    {
        var next = Math.Min(_nextHeartbeatMs, _nextSampleMs);
        if (_unsent.Count > 0 && _telemetryHoldUntilMs > _holdUntilMs)
        {
            next = Math.Min(next, _telemetryHoldUntilMs);
        }

        Volatile.Write(ref _dueAtMs, Math.Max(next, _holdUntilMs));
        Volatile.Write(ref _claimed, 0);
    }

    public RegisterDeviceRequest RegistrationRequest(string enrollmentToken) =>
        new(enrollmentToken, Serial, Type, HardwareRevision, Region, Name: $"{Type} {Serial}",
            Tags: [Type, City.Name.ToLowerInvariant().Replace(' ', '-')], Location: new GeoLocation(Position.HomeLat, Position.HomeLon),
            Environment: Environment);

    /// <summary>Registered (or restored): reports at once, then spreads out over the intervals.</summary>
    public void Registered(DeviceIdentity identity, DateTimeOffset now)
    {
        Volatile.Write(ref _identity, identity);
        _failures = 0;
        var nowMs = now.ToUnixTimeMilliseconds();
        _holdUntilMs = 0;
        _nextHeartbeatMs = nowMs;
        _nextSampleMs = nowMs + (long)(_schedule.Telemetry.TotalMilliseconds * _random.NextDouble());
    }

    /// <summary>The API does not know the key any more (its database was reset, say): register again at once.</summary>
    public void ForgetKey() => Volatile.Write(ref _identity, null);

    public bool HeartbeatDue(DateTimeOffset now) => now.ToUnixTimeMilliseconds() >= _nextHeartbeatMs;

    public bool MaySendTelemetry(DateTimeOffset now) => _unsent.Count > 0 && now.ToUnixTimeMilliseconds() >= _telemetryHoldUntilMs;

    /// <summary>Battery, signal and position move on with time, whether or not the device reports.</summary>
    public void Advance(DateTimeOffset now, DeviceFaults faults)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var hours = Math.Clamp((nowMs - _lastAdvancedMs) / 3_600_000.0, 0, 24);
        _lastAdvancedMs = Math.Max(_lastAdvancedMs, nowMs);
        Model.Move(Position, hours, _random);
        Battery.Advance(hours, Model.TakeExtraDrain(), faults.BatteryFaulty, faults.BatteryDrainMultiplier);
        Signal.Wander(_random);
    }

    public HeartbeatRequest Heartbeat(DateTimeOffset now)
    {
        var (slot, firmware) = Slots.Running;
        var config = Config;
        return new(
            Noise.Round(Battery.Level, 1),
            Signal.Dbm,
            firmware,
            slot,
            (long)Uptime(now).TotalSeconds,
            new GeoLocation(Noise.Round(Position.Lat, 6), Noise.Round(Position.Lon, 6)),
            config.Count > 0 ? config : null);
    }

    /// <summary>Whether the device is down (rebooting) at <paramref name="now"/>: no heartbeats, no telemetry, no channel.</summary>
    public bool IsDown(DateTimeOffset now) => now.ToUnixTimeMilliseconds() < Volatile.Read(ref _downUntilMs);

    /// <summary>When the current reboot ends; in the past when the device is up.</summary>
    public DateTimeOffset DownUntil => DateTimeOffset.FromUnixTimeMilliseconds(Volatile.Read(ref _downUntilMs));

    /// <summary>Time since the device last came up.</summary>
    public TimeSpan Uptime(DateTimeOffset now) => TimeSpan.FromMilliseconds(Math.Max(0, now.ToUnixTimeMilliseconds() - Volatile.Read(ref _bootedAtMs)));

    /// <summary>Goes down for a reboot of <paramref name="duration"/>; its uptime counts from the end of it.</summary>
    public void Reboot(DateTimeOffset now, TimeSpan duration)
    {
        var until = (now + duration).ToUnixTimeMilliseconds();
        Volatile.Write(ref _downUntilMs, until);
        Volatile.Write(ref _bootedAtMs, until);
    }

    /// <summary>Readings from now on are <paramref name="interval"/> apart (from the next one on).</summary>
    public void SetTelemetryInterval(TimeSpan interval) => Volatile.Write(ref _telemetryIntervalMs, (long)interval.TotalMilliseconds);

    /// <summary>Merges settings into the device's config: a null value removes its key.</summary>
    public IReadOnlyDictionary<string, string> MergeConfig(IReadOnlyDictionary<string, string?> changes)
    {
        lock (_configLock)
        {
            var merged = new Dictionary<string, string>(Config, StringComparer.Ordinal);
            foreach (var (key, value) in changes)
            {
                if (value is null)
                {
                    merged.Remove(key);
                }
                else
                {
                    merged[key] = value;
                }
            }

            Volatile.Write(ref _config, merged);
            return merged;
        }
    }

    /// <summary>
    /// Takes every reading due by <paramref name="now"/> (catching up after a backoff, up to the buffer), each at its
    /// own time. Sequence numbers follow the reporting slot (unix time / interval), so a restarted simulator never
    /// reuses one and time the device was off shows as gaps; a dropped reading uses up its number too.
    /// </summary>
    /// <returns>How many readings were taken, dropped, and pushed out of the full buffer.</returns>
    public (int Taken, int Dropped, int Overflowed) TakeDueReadings(DateTimeOffset now, DeviceFaults faults)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var intervalMs = Volatile.Read(ref _telemetryIntervalMs);
        var interval = TimeSpan.FromMilliseconds(intervalMs);
        if (nowMs - _nextSampleMs > intervalMs * MaxUnsentReadings)
        {
            _nextSampleMs = nowMs - intervalMs * (MaxUnsentReadings - 1);
        }

        var (taken, dropped, overflowed) = (0, 0, 0);
        while (_nextSampleMs <= nowMs)
        {
            var at = DateTimeOffset.FromUnixTimeMilliseconds(_nextSampleMs);
            var metrics = new Dictionary<string, double>(6);
            var clock = SensorClock.At(at, Math.Clamp((_nextSampleMs - _lastSampleMs) / 3_600_000.0, 0, 1), Position.Lon);
            Model.Read(clock, _random, metrics);
            if (faults.ReportsErrors)
            {
                metrics[ErrorMetric] = 1 + _random.Next(3);
            }
            _lastSampleMs = _nextSampleMs;
            _lastSeq = Math.Max(_lastSeq + 1, _nextSampleMs / intervalMs);
            _nextSampleMs += Math.Max(1, _schedule.JitteredMs(interval, _random));
            taken++;
            if (faults.DropPercent > 0 && _random.NextDouble() * 100 < faults.DropPercent)
            {
                dropped++;
                continue;
            }

            _unsent.Add(new TelemetryReading(_lastSeq, at + faults.ClockSkew, metrics));
            if (_unsent.Count > MaxUnsentReadings)
            {
                _unsent.RemoveAt(0);
                overflowed++;
            }
        }

        return (taken, dropped, overflowed);
    }

    /// <summary>An offline device takes no readings and makes no calls; its sequence numbers skip the time it was away.</summary>
    public void StayOffline(DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        _nextHeartbeatMs = nowMs + _schedule.JitteredMs(_schedule.Heartbeat, _random);
        _nextSampleMs = nowMs + _schedule.JitteredMs(TelemetryInterval, _random);
        _lastSampleMs = nowMs;
    }

    public TelemetryBatchRequest PendingBatch() => new([.. _unsent]);

    public void HeartbeatSent(DateTimeOffset now)
    {
        _failures = 0;
        _nextHeartbeatMs = now.ToUnixTimeMilliseconds() + _schedule.JitteredMs(_schedule.Heartbeat, _random);
    }

    /// <summary>The API took (or refused for good) the first <paramref name="count"/> pending readings.</summary>
    public void TelemetryDone(int count)
    {
        _failures = 0;
        _unsent.RemoveRange(0, Math.Min(count, _unsent.Count));
    }

    /// <summary>429: no telemetry before the server's Retry-After (plus up to a second, so devices do not return in step); readings stay.</summary>
    public void TelemetryRateLimited(DateTimeOffset now, TimeSpan retryAfter) =>
        _telemetryHoldUntilMs = (now + retryAfter).ToUnixTimeMilliseconds() + _random.Next(1000);

    /// <summary>
    /// The API is down or failing: nothing for this device until an exponential backoff with jitter has passed
    /// (1, 2, 4 … 60 s, each shortened by up to half at random) or the server's Retry-After, whichever is longer.
    /// </summary>
    public TimeSpan BackOff(DateTimeOffset now, TimeSpan? retryAfter = null)
    {
        _failures = Math.Min(_failures + 1, 16);
        var backoff = RetryBackoff.After(_failures, MaxBackoff, _random);
        if (retryAfter > backoff)
        {
            backoff = retryAfter.Value;
        }

        _holdUntilMs = (now + backoff).ToUnixTimeMilliseconds();
        return backoff;
    }
}
