namespace Fleet.DeviceSim.Models;

/// <summary>
/// A device's battery level: drains by its profile and, for rechargeable devices, charges back to full once it falls
/// below the profile's threshold. A faulty battery has lost its capacity: it reads below 20 % at once, drains fast and
/// does not charge; when the fault is cleared the battery counts as replaced (primary cells) or charges again.
/// </summary>
public sealed class Battery(PowerProfile profile, double level)
{
    public const double FaultyCeiling = 19;
    private const double FaultyDrainPerHour = 60;
    private const double FaultyFloor = 2;

    private bool _faulty;

    public double Level { get; private set; } = profile.MainsPowered ? 100 : level;

    public bool Charging { get; private set; }

    /// <param name="drainMultiplier">How many times the usual drain (a firmware fault may raise it).</param>
    public void Advance(double hours, double extraDrain, bool faulty, double drainMultiplier = 1)
    {
        if (faulty)
        {
            _faulty = true;
            Charging = false;
            Level = Math.Max(FaultyFloor, Math.Min(Level, FaultyCeiling) - FaultyDrainPerHour * hours - extraDrain);
            return;
        }

        if (_faulty)
        {
            _faulty = false;
            Charging = profile.Recharges;
            if (!profile.Recharges)
            {
                Level = 100;
            }
        }

        if (profile.MainsPowered)
        {
            Level = 100;
        }
        else if (Charging)
        {
            Level = Math.Min(100, Level + profile.ChargePerHour * hours);
            Charging = Level < 100;
        }
        else
        {
            Level = Math.Max(0, Level - (profile.DrainPerHour * hours + extraDrain) * drainMultiplier);
            Charging = profile.Recharges && Level < profile.ChargeBelow;
        }
    }
}

/// <summary>Received signal strength in dBm: wanders around the spot's own mean, as radio conditions do.</summary>
public sealed class SignalStrength(double mean)
{
    private readonly double _mean = mean;
    private double _current = mean;

    public int Dbm => (int)Math.Round(_current);

    public void Wander(Random random) => _current = Math.Clamp(_current + 0.3 * (_mean - _current) + random.Gaussian(0, 2.5), -120, -40);
}
