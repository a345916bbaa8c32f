using Fleet.Dashboard;
using Fleet.Dashboard.Storage;
using Microsoft.Extensions.Options;

namespace Fleet.Tests.Dashboard;

public sealed class TelemetryStoreTests
{
    private static TelemetryStore Store(int spans = 10, int logs = 10, int points = 10) => new(
        Options.Create(new DashboardOptions { Storage = new StorageOptions { MaxSpansPerResource = spans, MaxLogRecordsPerResource = logs, MaxMetricPointsPerResource = points } }),
        TimeProvider.System);

    private static readonly Dictionary<string, string> NoAttributes = [];

    [Fact]
    public void Log_records_past_the_bound_push_out_the_oldest_and_are_counted()
    {
        var store = Store(logs: 10);
        store.AddLogs(Enumerable.Range(0, 100).Select(i => new StoredLogRecord(0, "api", DateTimeOffset.UtcNow, LogSeverity.Information, "c", $"line {i}", null, null, NoAttributes)).ToList());

        var counts = store.Resources().Single();
        counts.LogRecords.ShouldBe(10);
        counts.DroppedLogRecords.ShouldBe(90);
        store.Logs("api", _ => true, 100).Select(r => r.Message).ShouldBe(Enumerable.Range(90, 10).Reverse().Select(i => $"line {i}"));
    }

    [Fact]
    public void Metric_points_past_the_bound_push_out_the_oldest_and_are_counted()
    {
        var store = Store(points: 10);
        var instrument = new MetricInstrument("fleet.x", "", "", "counter", "Fleet.Tests");
        store.AddMetricPoints("api", Enumerable.Range(0, 100).Select(i => new StoredMetricPoint(instrument, DateTimeOffset.UtcNow, i, null, null, NoAttributes)).ToList());

        store.Resources().Single().DroppedMetricPoints.ShouldBe(90);
        store.MetricPoints("api").Select(p => p.Value).ShouldBe(Enumerable.Range(90, 10).Select(i => (double)i));
    }

    [Fact]
    public void A_trace_disappears_when_its_last_span_is_pushed_out_and_survives_while_one_remains()
    {
        var store = Store(spans: 3);
        store.AddSpans([Span("old", "a"), Span("old", "b"), Span("kept", "c")]);
        store.AddSpans([Span("new", "d"), Span("new", "e")]);

        store.Trace("old").ShouldBeNull();
        store.Trace("kept")!.Select(s => s.SpanId).ShouldBe(["c"]);
        store.Trace("new")!.Count.ShouldBe(2);
        new TelemetryQueries(store).Traces(new TraceFilter()).Select(t => t.TraceId).ShouldBe(["new", "kept"], ignoreOrder: true);
    }

    [Fact]
    public void Bounds_are_per_resource()
    {
        var store = Store(spans: 2);
        store.AddSpans([Span("t1", "a", "api"), Span("t2", "b", "api"), Span("t3", "c", "api"), Span("t4", "d", "web")]);

        store.Resources().Single(r => r.Resource == "web").Spans.ShouldBe(1);
        store.Resources().Single(r => r.Resource == "api").DroppedSpans.ShouldBe(1);
    }

    private static StoredSpan Span(string traceId, string spanId, string resource = "api") =>
        new(resource, traceId, spanId, null, "op", "Internal", "s", DateTimeOffset.UtcNow, 1, NoAttributes, [], "Unset", null);
}
