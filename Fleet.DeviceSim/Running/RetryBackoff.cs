namespace Fleet.DeviceSim;

/// <summary>How long a device waits before trying again: exponential with jitter, so a fleet does not return in step.</summary>
public static class RetryBackoff
{
    /// <summary>1, 2, 4 … seconds for the 1st, 2nd, 3rd … failure, up to <paramref name="max"/>, each shortened by up to half at random.</summary>
    public static TimeSpan After(int failures, TimeSpan max, Random random) =>
        Jittered(TimeSpan.FromSeconds(Math.Min(max.TotalSeconds, Math.Pow(2, Math.Max(0, failures - 1)))), random);

    /// <summary><paramref name="wait"/> shortened by up to half at random.</summary>
    public static TimeSpan Jittered(TimeSpan wait, Random random) => wait * (0.5 + random.NextDouble() / 2);
}
