namespace Fleet.Contracts;

/// <summary>Body of <c>POST /api/v1/device/telemetry</c>: 1..1000 readings.</summary>
public sealed record TelemetryBatchRequest(IReadOnlyList<TelemetryReading>? Readings);

/// <summary>
/// One reading: a per-device sequence number, when it was measured, and its metrics (JSON numbers only).
/// Fields are nullable on the wire so that a missing field is reported as missing, not read as zero.
/// </summary>
public sealed record TelemetryReading(long? Seq, DateTimeOffset? Ts, IReadOnlyDictionary<string, double>? Metrics);

/// <summary>Answer to an accepted batch: how many readings were new and how many were duplicates already stored.</summary>
public sealed record TelemetryAccepted(int Readings, int Points);

/// <summary>A device's sequence numbers as stored: gaps = last - first + 1 - received.</summary>
public sealed record TelemetrySequenceStats(long FirstSeq, long LastSeq, long Received, long Gaps);

/// <summary>One stored point, as the history query returns it.</summary>
public sealed record TelemetryValue(long Seq, DateTimeOffset Ts, string Metric, double Value);

/// <summary><c>GET /api/v1/devices/{id}/telemetry</c>: newest first.</summary>
public sealed record TelemetryHistoryResponse(IReadOnlyList<TelemetryValue> Items, int Total);

/// <summary>The newest value of each metric a device reports.</summary>
public sealed record LatestMetric(string Metric, DateTimeOffset Ts, double Value);

/// <summary>One time bucket of <c>GET /api/v1/devices/{id}/telemetry/aggregated</c>.</summary>
public sealed record TelemetryBucket(DateTimeOffset Bucket, double Avg, double Min, double Max, long Count);

public sealed record TelemetryAggregatedResponse(string Metric, string Window, IReadOnlyList<TelemetryBucket> Items, int Total);
