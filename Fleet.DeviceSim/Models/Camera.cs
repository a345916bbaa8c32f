namespace Fleet.DeviceSim.Models;

/// <summary>
/// A battery camera on a charging dock: motion (more by day) raises the bitrate, the frame rate dips when the
/// encoder is busy, and loop recording fills the card to 95 % and then frees the oldest footage down to 70 %.
/// </summary>
public sealed class Camera : DeviceModel
{
    public const string TypeName = "camera";
    private static readonly PowerProfile Battery = new(DrainPerHour: 2.5, ChargeBelow: 30, ChargePerHour: 25);
    private static readonly int[] FrameRates = [15, 25, 30];

    private readonly int _fps;
    private readonly double _baseKbps;
    private readonly double _storageGb;
    private double _storageUsedGb;

    public Camera(Random random)
    {
        _fps = FrameRates[random.Next(FrameRates.Length)];
        _baseKbps = random.Between(800, 2500);
        _storageGb = random.Next(2) == 0 ? 64 : 128;
        _storageUsedGb = _storageGb * random.Between(0.1, 0.9);
    }

    public override string Type => TypeName;

    public override PowerProfile Power => Battery;

    public override void Read(in SensorClock at, Random random, Dictionary<string, double> metrics)
    {
        var motionPerHour = 1 + 11 * Noise.Bump(at.LocalHour, 14, 4);
        var motion = random.Poisson(motionPerHour * at.ElapsedHours);
        var activity = Math.Min(1, motion / 3.0 + random.NextDouble() * 0.1);
        var kbps = _baseKbps * (1 + 1.2 * activity) * (1 + random.Gaussian(0, 0.05));
        var fps = activity > 0.6 && random.NextDouble() < 0.3 ? _fps - random.Next(1, 5) : _fps;
        _storageUsedGb += kbps * 3600 * at.ElapsedHours / 8 / 1_000_000;
        if (_storageUsedGb > _storageGb * 0.95)
        {
            _storageUsedGb = _storageGb * 0.70;
        }

        metrics["bitrate_kbps"] = Noise.Round(Math.Max(50, kbps), 0);
        metrics["fps"] = fps;
        metrics["storage_used_pct"] = Noise.Round(100 * _storageUsedGb / _storageGb, 2);
        metrics["motion_events"] = motion;
    }
}
