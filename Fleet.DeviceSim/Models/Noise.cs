namespace Fleet.DeviceSim.Models;

/// <summary>Random draws sensor models need beyond uniform numbers.</summary>
public static class Noise
{
    /// <summary>A normal draw (Box–Muller).</summary>
    public static double Gaussian(this Random random, double mean = 0, double deviation = 1)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return mean + deviation * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>How many events happen in a window where <paramref name="expected"/> are expected (Poisson, Knuth's method).</summary>
    public static int Poisson(this Random random, double expected)
    {
        if (expected <= 0)
        {
            return 0;
        }

        if (expected > 30)
        {
            return Math.Max(0, (int)Math.Round(random.Gaussian(expected, Math.Sqrt(expected))));
        }

        var limit = Math.Exp(-expected);
        var count = 0;
        var product = random.NextDouble();
        while (product > limit)
        {
            count++;
            product *= random.NextDouble();
        }

        return count;
    }

    public static double Between(this Random random, double min, double max) => min + random.NextDouble() * (max - min);

    /// <summary>A bell around <paramref name="center"/> (hours, wrapping at midnight), 1 at the centre.</summary>
    public static double Bump(double hour, double center, double width)
    {
        var distance = Math.Abs(hour - center);
        distance = Math.Min(distance, 24 - distance);
        return Math.Exp(-distance * distance / (2 * width * width));
    }

    public static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.AwayFromZero);
}
