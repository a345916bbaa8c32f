namespace Fleet.Dashboard.Storage;

/// <summary>One span as the dashboard keeps it: identifiers hex-encoded, attribute values as text.</summary>
public sealed record StoredSpan(
    string Resource,
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    string Kind,
    string Scope,
    DateTimeOffset Start,
    double DurationMs,
    IReadOnlyDictionary<string, string> Attributes,
    IReadOnlyList<StoredSpanEvent> Events,
    string Status,
    string? StatusMessage)
{
    public DateTimeOffset End => Start.AddMilliseconds(DurationMs);

    public bool IsError => Status == "Error";
}

public sealed record StoredSpanEvent(string Name, DateTimeOffset Time, IReadOnlyDictionary<string, string> Attributes);

public sealed record StoredLogRecord(
    long Sequence,
    string Resource,
    DateTimeOffset Timestamp,
    LogSeverity Level,
    string Category,
    string Message,
    string? TraceId,
    string? SpanId,
    IReadOnlyDictionary<string, string> Attributes);

/// <summary>OTLP severity numbers 1–24 in groups of four, named as .NET's log levels are.</summary>
public enum LogSeverity
{
    Unspecified,
    Trace,
    Debug,
    Information,
    Warning,
    Error,
    Critical,
}

/// <summary>A metric instrument of one resource (name, unit, kind, meter).</summary>
public sealed record MetricInstrument(string Name, string Description, string Unit, string Type, string Meter);

/// <summary>
/// One data point. Counters and gauges carry their value; histograms their count, sum and the mean as
/// <see cref="Value"/>, which is what the chart plots.
/// </summary>
public sealed record StoredMetricPoint(
    MetricInstrument Instrument,
    DateTimeOffset Time,
    double Value,
    ulong? Count,
    double? Sum,
    IReadOnlyDictionary<string, string> Attributes)
{
    /// <summary>The attribute set as one stable string, to group points into series.</summary>
    public string SeriesKey { get; } = string.Join(", ", Attributes.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key}={pair.Value}"));
}

/// <summary>How much of a resource's telemetry is held and how much the bounds have dropped.</summary>
public sealed record ResourceTelemetryCounts(
    string Resource,
    int Spans,
    int LogRecords,
    int MetricPoints,
    long DroppedSpans,
    long DroppedLogRecords,
    long DroppedMetricPoints,
    DateTimeOffset LastSeen);
