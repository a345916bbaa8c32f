namespace Fleet.Contracts;

/// <summary>Routes of the operators' ingest statistics.</summary>
public static class StatsHttp
{
    /// <summary><c>GET ?minutes=n</c>: telemetry points stored per minute over the last n minutes (the current one included).</summary>
    public const string IngestRoute = "/api/v1/stats/ingest";
}

/// <summary>Points newly stored in one UTC minute (starting at <c>Minute</c>), by every API replica together.</summary>
public sealed record IngestMinute(DateTimeOffset Minute, long Points);

/// <summary>
/// <c>GET /api/v1/stats/ingest</c>: one entry per minute, oldest first, the last being the current (partial) minute.
/// Points are metric values newly stored: duplicates (a (device, seq) already stored) and refused batches are not counted.
/// <c>PointsPerSecond</c> is the rate over the previous full minute and the elapsed part of the current one.
/// </summary>
public sealed record IngestRateResponse(DateTimeOffset At, IReadOnlyList<IngestMinute> PerMinute, long Total, double PointsPerSecond);
