using System.Globalization;
using Fleet.Contracts;

namespace Fleet.Web.Services;

/// <summary>A chart's time range and the API window that gives it a readable number of points (≤ 360).</summary>
public sealed record TelemetryRange(string Label, TimeSpan Span, string Window)
{
    public static IReadOnlyList<TelemetryRange> All { get; } =
    [
        new("Last 15 minutes", TimeSpan.FromMinutes(15), "1m"),
        new("Last hour", TimeSpan.FromHours(1), "1m"),
        new("Last 6 hours", TimeSpan.FromHours(6), "5m"),
        new("Last 24 hours", TimeSpan.FromHours(24), "5m"),
        new("Last 7 days", TimeSpan.FromDays(7), "1h"),
        new("Last 30 days", TimeSpan.FromDays(30), "1d"),
    ];

    public static TelemetryRange Default => All[1];

    /// <summary>One label per bucket; only about <paramref name="shown"/> of them carry text so the axis stays legible.</summary>
    public static string[] Labels(IReadOnlyList<TelemetryBucket> buckets, TimeSpan span, int shown = 8)
    {
        var format = span > TimeSpan.FromDays(1) ? "MM-dd HH:mm" : "HH:mm";
        var every = Math.Max(1, (int)Math.Ceiling(buckets.Count / (double)shown));
        return [.. buckets.Select((bucket, index) => index % every == 0 ? bucket.Bucket.UtcDateTime.ToString(format, CultureInfo.InvariantCulture) : "")];
    }
}
