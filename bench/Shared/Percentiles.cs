namespace Fleet.Bench;

internal static class Percentiles
{
    /// <summary>The nearest-rank percentile <paramref name="p"/> (0..1) of ascending <paramref name="sorted"/>; 0 when empty.</summary>
    public static double Of(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
