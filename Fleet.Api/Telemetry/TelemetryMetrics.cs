using System.Diagnostics.Metrics;
using Fleet.Api.Infrastructure;

namespace Fleet.Api.Telemetry;

/// <summary>
/// The <c>Fleet.Telemetry</c> meter: what ingest accepted, what the writer stored and found duplicate, how deep
/// its queue is and how long a group commit takes. Exported over OTLP and on /metrics.
/// </summary>
public sealed class TelemetryMetrics
{
    public const string MeterName = "Fleet.Telemetry";

    private readonly Meter _meter;
    private readonly Counter<long> _acceptedPoints;
    private readonly Counter<long> _storedReadings;
    private readonly Counter<long> _storedPoints;
    private readonly Counter<long> _duplicateReadings;
    private readonly Counter<long> _rejectedRequests;
    private readonly Counter<long> _batches;
    private readonly Histogram<double> _batchDuration;
    private readonly Histogram<long> _batchReadings;
    private readonly Histogram<double> _phaseDuration;

    /// <summary>This API's meter (tests listen to it alone: every host in a process names its meter the same).</summary>
    public Meter Meter => _meter;

    public TelemetryMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _acceptedPoints = _meter.CreateCounter<long>("fleet.telemetry.points.accepted", "{point}", "Metric values in batches answered 202.");
        _storedReadings = _meter.CreateCounter<long>("fleet.telemetry.readings.stored", "{reading}", "Readings newly stored.");
        _storedPoints = _meter.CreateCounter<long>("fleet.telemetry.points.stored", "{point}", "Metric values newly stored.");
        _duplicateReadings = _meter.CreateCounter<long>("fleet.telemetry.readings.duplicate", "{reading}", "Readings acknowledged but already stored (same device and seq).");
        _rejectedRequests = _meter.CreateCounter<long>("fleet.telemetry.requests.rejected", "{request}", "Telemetry requests refused, by HTTP status.");
        _batches = _meter.CreateCounter<long>("fleet.telemetry.batches", "{batch}",
            "Group commits by path: direct (copied straight into telemetry) or staging (a seq clashed; admitted one by one).");
        _batchDuration = _meter.CreateHistogram<double>("fleet.telemetry.batch.duration", "s", "Time of one group commit: COPY, admit and store.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = HistogramBuckets.Seconds });
        _batchReadings = _meter.CreateHistogram<long>("fleet.telemetry.batch.readings", "{reading}", "Readings in one group commit.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = HistogramBuckets.Counts });
        _phaseDuration = _meter.CreateHistogram<double>("fleet.telemetry.batch.phase.duration", "s",
            "Where a group commit's time goes, by path and phase: copy.start (until PostgreSQL takes COPY data), copy (until it has " +
            "stored the rows), commit (claim or merge, and COMMIT). Each is the writer's wait, round trip included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = HistogramBuckets.Seconds });
    }

    /// <summary>Called once by the writer, which owns the queue.</summary>
    public void ObserveQueueDepth(Func<int> depth) =>
        _meter.CreateObservableGauge("fleet.telemetry.queue.depth", depth, "{request}", "Telemetry requests waiting for the writer.");

    public void Accepted(int points) => _acceptedPoints.Add(points);

    public void Rejected(int statusCode) => _rejectedRequests.Add(1, new KeyValuePair<string, object?>("http.response.status_code", statusCode));

    /// <summary>One phase of a group commit; <paramref name="phase"/> is one of <see cref="WritePhase"/>'s names.</summary>
    public void Phase(bool direct, string phase, TimeSpan duration) =>
        _phaseDuration.Record(duration.TotalSeconds, PathTag(direct), new KeyValuePair<string, object?>("fleet.telemetry.phase", phase));

    public void Written(int readings, long admitted, long storedPoints, bool direct, TimeSpan duration)
    {
        _batches.Add(1, PathTag(direct));
        _storedReadings.Add(admitted);
        _storedPoints.Add(storedPoints);
        _duplicateReadings.Add(readings - admitted);
        _batchDuration.Record(duration.TotalSeconds);
        _batchReadings.Record(readings);
    }

    /// <summary>Which path a group commit took: direct (copied straight into telemetry) or staging (a seq clashed).</summary>
    private static KeyValuePair<string, object?> PathTag(bool direct) => new("fleet.telemetry.path", direct ? "direct" : "staging");
}

/// <summary>The phases of a group commit, as <see cref="TelemetryMetrics.Phase"/> names them.</summary>
public static class WritePhase
{
    public const string CopyStart = "copy.start";
    public const string Copy = "copy";
    public const string Commit = "commit";
}
