namespace Fleet.DeviceSim.Models;

/// <summary>
/// What a device of one kind measures and how it moves and uses its battery. One instance per device holds that
/// device's sensor state (a camera's storage, a tracker's heading); the owning device calls it from one thread at a time.
/// </summary>
public abstract class DeviceModel
{
    /// <summary>The device type the API registers, e.g. <c>camera</c>.</summary>
    public abstract string Type { get; }

    /// <summary>How the battery drains and whether it recharges.</summary>
    public abstract PowerProfile Power { get; }

    /// <summary>Extra battery use since the last call, in percentage points (a lock's motor, say); zero by default.</summary>
    public virtual double TakeExtraDrain() => 0;

    /// <summary>Moves the device's position over <paramref name="hours"/>; fixed devices only show GPS noise around home.</summary>
    public virtual void Move(Position position, double hours, Random random) => position.Jitter(random);

    /// <summary>Advances the sensor state to <paramref name="at"/> and writes this reading's metrics (finite numbers only).</summary>
    public abstract void Read(in SensorClock at, Random random, Dictionary<string, double> metrics);
}

/// <summary>When a reading is taken: the time, the hours since the previous reading and the local solar hour (0..24).</summary>
public readonly record struct SensorClock(DateTimeOffset Now, double ElapsedHours, double LocalHour)
{
    /// <summary>The solar hour at <paramref name="longitude"/>, good enough for day/night cycles without time zones.</summary>
    public static SensorClock At(DateTimeOffset now, double elapsedHours, double longitude)
    {
        var hour = (now.UtcDateTime.TimeOfDay.TotalHours + longitude / 15.0) % 24.0;
        return new SensorClock(now, elapsedHours, hour < 0 ? hour + 24.0 : hour);
    }

    public bool IsWeekend => Now.UtcDateTime.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
}

/// <summary>
/// Battery behaviour of a model: percentage points used per hour, and for rechargeable devices the level at which
/// charging starts and how fast it goes. Mains-powered devices report a full backup battery.
/// </summary>
public sealed record PowerProfile(double DrainPerHour, bool MainsPowered = false, double ChargeBelow = 0, double ChargePerHour = 0)
{
    public static readonly PowerProfile Mains = new(0, MainsPowered: true);

    public bool Recharges => ChargePerHour > 0;
}
