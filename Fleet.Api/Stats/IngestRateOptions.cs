using System.ComponentModel.DataAnnotations;

namespace Fleet.Api.Stats;

/// <summary>The <c>Fleet:Stats</c> section: how far back the per-minute ingest counters reach.</summary>
public sealed class IngestRateOptions
{
    public const string Section = "Fleet:Stats";

    /// <summary>Most minutes <c>GET /api/v1/stats/ingest</c> answers for; each minute's counter lives a little longer.</summary>
    [Range(1, 1_440)]
    public int WindowMinutes { get; set; } = 60;

    /// <summary>A counter outlives the window by this many minutes, so the oldest minute asked for is still there.</summary>
    [Range(1, 60)]
    public int GraceMinutes { get; set; } = 5;
}
