namespace Fleet.Dashboard.Storage;

/// <summary>A trace in the list: when, its root, which resources took part, how long, whether a span failed.</summary>
public sealed record TraceSummary(
    string TraceId,
    DateTimeOffset Start,
    string RootName,
    string RootResource,
    IReadOnlyList<string> Resources,
    int SpanCount,
    double DurationMs,
    bool HasError);

public sealed record TraceFilter(string? Resource = null, string? Text = null, double? MinDurationMs = null, int Limit = 100);

public sealed record LogFilter(string? Resource = null, LogSeverity? MinLevel = null, string? Text = null, string? TraceId = null, int Limit = 200);

/// <summary>An instrument with the latest point of each of its series (attribute sets).</summary>
public sealed record InstrumentSummary(string Resource, MetricInstrument Instrument, IReadOnlyList<StoredMetricPoint> LatestPoints);

/// <summary>Read models over <see cref="TelemetryStore"/>, shared by the JSON API and the pages.</summary>
public sealed class TelemetryQueries(TelemetryStore store)
{
    public IReadOnlyList<TraceSummary> Traces(TraceFilter filter) =>
        store.Traces()
            .Select(Summarize)
            .Where(trace => filter.Resource is null || trace.Resources.Contains(filter.Resource, StringComparer.Ordinal))
            .Where(trace => filter.MinDurationMs is null || trace.DurationMs >= filter.MinDurationMs)
            .Where(trace => string.IsNullOrWhiteSpace(filter.Text)
                || trace.RootName.Contains(filter.Text, StringComparison.OrdinalIgnoreCase)
                || trace.TraceId.StartsWith(filter.Text, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(trace => trace.Start)
            .Take(Math.Clamp(filter.Limit, 1, 10_000))
            .ToList();

    public IReadOnlyList<StoredSpan>? Trace(string traceId) => store.Trace(traceId.ToLowerInvariant());

    public IReadOnlyList<StoredLogRecord> Logs(LogFilter filter) =>
        store.Logs(
            string.IsNullOrWhiteSpace(filter.Resource) ? null : filter.Resource,
            record => (filter.MinLevel is null || record.Level >= filter.MinLevel)
                && (filter.TraceId is null || string.Equals(record.TraceId, filter.TraceId, StringComparison.OrdinalIgnoreCase))
                && (string.IsNullOrWhiteSpace(filter.Text)
                    || record.Message.Contains(filter.Text, StringComparison.OrdinalIgnoreCase)
                    || record.Category.Contains(filter.Text, StringComparison.OrdinalIgnoreCase)
                    || record.Attributes.Values.Any(value => value.Contains(filter.Text, StringComparison.OrdinalIgnoreCase))),
            Math.Clamp(filter.Limit, 1, 10_000));

    public IReadOnlyList<InstrumentSummary> Instruments(string? resource)
    {
        var resources = resource is null ? store.Resources().Select(r => r.Resource) : [resource];
        return resources.SelectMany(name => store.MetricPoints(name)
                .GroupBy(point => point.Instrument.Name, StringComparer.Ordinal)
                .Select(instrument => new InstrumentSummary(
                    name,
                    instrument.Last().Instrument,
                    instrument.GroupBy(point => point.SeriesKey, StringComparer.Ordinal).Select(series => series.Last()).ToList())))
            .OrderBy(summary => summary.Resource, StringComparer.Ordinal)
            .ThenBy(summary => summary.Instrument.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>An instrument's points over time; <paramref name="dimension"/> ("key=value") keeps the series that have it.</summary>
    public IReadOnlyList<StoredMetricPoint> Series(string resource, string instrument, string? dimension) =>
        store.MetricPoints(resource, instrument)
            .Where(point => string.IsNullOrEmpty(dimension) || point.SeriesKey.Split(", ").Contains(dimension, StringComparer.Ordinal))
            .ToList();

    private static TraceSummary Summarize(IReadOnlyList<StoredSpan> spans)
    {
        var ids = spans.Select(span => span.SpanId).ToHashSet(StringComparer.Ordinal);
        var root = spans.Where(span => span.ParentSpanId is null || !ids.Contains(span.ParentSpanId)).MinBy(span => span.Start) ?? spans[0];
        var start = spans.Min(span => span.Start);
        var end = spans.Max(span => span.End);
        return new TraceSummary(
            root.TraceId,
            start,
            root.Name,
            root.Resource,
            spans.Select(span => span.Resource).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
            spans.Count,
            (end - start).TotalMilliseconds,
            spans.Any(span => span.IsError));
    }
}
