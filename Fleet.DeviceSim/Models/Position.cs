namespace Fleet.DeviceSim.Models;

/// <summary>Where a device is, and the home point fixed devices stay near and trackers return towards.</summary>
public sealed class Position(double homeLat, double homeLon)
{
    private const double KmPerDegree = 111.32;

    /// <summary>Fixed devices wander at most this far from home (GPS noise, in degrees, about 20 m).</summary>
    private const double JitterDegrees = 0.0002;

    public double HomeLat { get; } = homeLat;

    public double HomeLon { get; } = homeLon;

    public double Lat { get; private set; } = homeLat;

    public double Lon { get; private set; } = homeLon;

    public void Jitter(Random random)
    {
        Lat = HomeLat + (random.NextDouble() - 0.5) * JitterDegrees;
        Lon = HomeLon + (random.NextDouble() - 0.5) * JitterDegrees;
    }

    /// <summary>Moves <paramref name="km"/> along <paramref name="headingDegrees"/> (0 = north, 90 = east).</summary>
    public void Travel(double km, double headingDegrees)
    {
        var heading = headingDegrees * Math.PI / 180;
        Lat = Math.Clamp(Lat + km * Math.Cos(heading) / KmPerDegree, -85, 85);
        Lon += km * Math.Sin(heading) / (KmPerDegree * Math.Cos(Lat * Math.PI / 180));
        Lon = Lon > 180 ? Lon - 360 : Lon < -180 ? Lon + 360 : Lon;
    }

    public double KmFromHome() => KmTo(HomeLat, HomeLon);

    /// <summary>Distance from the current position (flat-earth approximation, fine over tens of km).</summary>
    public double KmTo(double lat, double lon)
    {
        var dLat = (Lat - lat) * KmPerDegree;
        var dLon = (Lon - lon) * KmPerDegree * Math.Cos(lat * Math.PI / 180);
        return Math.Sqrt(dLat * dLat + dLon * dLon);
    }

    /// <summary>The heading (degrees) that points back home.</summary>
    public double HeadingHome()
    {
        var dLat = HomeLat - Lat;
        var dLon = (HomeLon - Lon) * Math.Cos(HomeLat * Math.PI / 180);
        var degrees = Math.Atan2(dLon, dLat) * 180 / Math.PI;
        return degrees < 0 ? degrees + 360 : degrees;
    }
}
