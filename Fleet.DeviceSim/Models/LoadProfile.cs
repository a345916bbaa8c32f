namespace Fleet.DeviceSim.Models;

/// <summary>How an electrical load follows the day: homes peak morning and evening, offices in working hours, factories run shifts.</summary>
public enum LoadProfile
{
    Residential,
    Office,
    Industrial,
}

public static class LoadProfiles
{
    /// <summary>The share (0..1) of its rated load a site draws at this hour, before noise.</summary>
    public static double Share(this LoadProfile profile, in SensorClock at) => profile switch
    {
        LoadProfile.Residential => 0.12 + 0.30 * Noise.Bump(at.LocalHour, 7.5, 1.2) + 0.55 * Noise.Bump(at.LocalHour, 19.5, 2.2),
        LoadProfile.Office when at.IsWeekend => 0.12,
        LoadProfile.Office => 0.12 + 0.78 * Plateau(at.LocalHour, 8, 18),
        LoadProfile.Industrial => 0.45 + 0.45 * Plateau(at.LocalHour, 6, 22),
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, null),
    };

    /// <summary>1 between <paramref name="from"/> and <paramref name="to"/>, ramping over an hour either side.</summary>
    private static double Plateau(double hour, double from, double to) =>
        Math.Clamp(hour - (from - 1), 0, 1) * Math.Clamp(to + 1 - hour, 0, 1);
}
