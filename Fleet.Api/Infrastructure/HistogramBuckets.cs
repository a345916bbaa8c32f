namespace Fleet.Api.Infrastructure;

/// <summary>
/// Bucket boundaries for Fleet's histograms. The exporters' defaults are meant for milliseconds, so a histogram in
/// seconds would put every observation into its first bucket.
/// </summary>
public static class HistogramBuckets
{
    /// <summary>Durations in seconds, 1 ms to 10 s (the boundaries ASP.NET Core uses for its request durations).</summary>
    public static readonly IReadOnlyList<double> Seconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10];

    /// <summary>Counts of things per operation, by powers of ten.</summary>
    public static readonly IReadOnlyList<long> Counts = [1, 10, 100, 1_000, 10_000, 100_000];
}
