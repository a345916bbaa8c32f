namespace Fleet.DeviceSim.Models;

/// <summary>
/// A door lock: people come and go (mostly by day), each passage unlocks and re-locks, and every turn of the bolt
/// costs battery, so locks drain fastest of all and go back on the charger often.
/// </summary>
public sealed class SmartLock : DeviceModel
{
    public const string TypeName = "smart-lock";
    private const double DrainPerBoltTurn = 0.05;
    private static readonly PowerProfile Battery = new(DrainPerHour: 1.5, ChargeBelow: 30, ChargePerHour: 30);

    private readonly double _trafficPerHour;
    private double _pendingDrain;

    public SmartLock(Random random) => _trafficPerHour = random.Between(1, 8);

    public override string Type => TypeName;

    public override PowerProfile Power => Battery;

    public override double TakeExtraDrain()
    {
        var drain = _pendingDrain;
        _pendingDrain = 0;
        return drain;
    }

    public override void Read(in SensorClock at, Random random, Dictionary<string, double> metrics)
    {
        var perHour = 0.2 + _trafficPerHour * Noise.Bump(at.LocalHour, 13, 4);
        var events = random.Poisson(perHour * at.ElapsedHours);
        _pendingDrain += events * 2 * DrainPerBoltTurn;
        var unlocked = random.NextDouble() < Math.Min(0.5, 0.03 * perHour);
        metrics["locked"] = unlocked ? 0 : 1;
        metrics["door_events"] = events;
    }
}
