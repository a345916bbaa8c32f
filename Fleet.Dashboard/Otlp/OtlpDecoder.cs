using System.Globalization;
using Fleet.Dashboard.Storage;
using Google.Protobuf;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Trace.V1;
using ProtoResource = OpenTelemetry.Proto.Resource.V1.Resource;

namespace Fleet.Dashboard.Otlp;

/// <summary>Turns OTLP export requests into what the store keeps; shared by the gRPC and the HTTP receivers.</summary>
public static class OtlpDecoder
{
    public const string UnknownService = "unknown_service";

    /// <summary>Keys, names, scopes and resources repeat on every span; values mostly do not, so only those are shared.</summary>
    private static readonly StringPool Shared = new();

    public static IReadOnlyList<StoredSpan> Spans(ExportTraceServiceRequest request)
    {
        var spans = new List<StoredSpan>();
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resource = Shared.Share(ServiceName(resourceSpans.Resource));
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                var scope = Shared.Share(scopeSpans.Scope?.Name ?? "");
                foreach (var span in scopeSpans.Spans)
                {
                    var start = FromUnixNanos(span.StartTimeUnixNano);
                    spans.Add(new StoredSpan(
                        resource,
                        Hex(span.TraceId) ?? "",
                        Hex(span.SpanId) ?? "",
                        Hex(span.ParentSpanId),
                        Shared.Share(span.Name),
                        span.Kind switch
                        {
                            Span.Types.SpanKind.Server => "Server",
                            Span.Types.SpanKind.Client => "Client",
                            Span.Types.SpanKind.Producer => "Producer",
                            Span.Types.SpanKind.Consumer => "Consumer",
                            _ => "Internal",
                        },
                        scope,
                        start,
                        span.EndTimeUnixNano >= span.StartTimeUnixNano ? (span.EndTimeUnixNano - span.StartTimeUnixNano) / 1_000_000.0 : 0,
                        Attributes(span.Attributes),
                        span.Events.Count == 0 ? [] : span.Events.Select(e => new StoredSpanEvent(e.Name, FromUnixNanos(e.TimeUnixNano), Attributes(e.Attributes))).ToArray(),
                        span.Status?.Code switch
                        {
                            OpenTelemetry.Proto.Trace.V1.Status.Types.StatusCode.Ok => "Ok",
                            OpenTelemetry.Proto.Trace.V1.Status.Types.StatusCode.Error => "Error",
                            _ => "Unset",
                        },
                        string.IsNullOrEmpty(span.Status?.Message) ? null : span.Status.Message));
                }
            }
        }

        return spans;
    }

    public static IReadOnlyList<StoredLogRecord> Logs(ExportLogsServiceRequest request)
    {
        var records = new List<StoredLogRecord>();
        foreach (var resourceLogs in request.ResourceLogs)
        {
            var resource = Shared.Share(ServiceName(resourceLogs.Resource));
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                var scope = Shared.Share(scopeLogs.Scope?.Name ?? "");
                foreach (var record in scopeLogs.LogRecords)
                {
                    var time = record.TimeUnixNano != 0 ? record.TimeUnixNano : record.ObservedTimeUnixNano;
                    records.Add(new StoredLogRecord(
                        0,
                        resource,
                        FromUnixNanos(time),
                        Severity((int)record.SeverityNumber),
                        scope,
                        record.Body is null ? "" : Text(record.Body),
                        Hex(record.TraceId),
                        Hex(record.SpanId),
                        Attributes(record.Attributes)));
                }
            }
        }

        return records;
    }

    public static IEnumerable<(string Resource, IReadOnlyList<StoredMetricPoint> Points)> MetricPoints(ExportMetricsServiceRequest request)
    {
        foreach (var resourceMetrics in request.ResourceMetrics)
        {
            var resource = Shared.Share(ServiceName(resourceMetrics.Resource));
            var points = new List<StoredMetricPoint>();
            foreach (var scopeMetrics in resourceMetrics.ScopeMetrics)
            {
                var meter = scopeMetrics.Scope?.Name ?? "";
                foreach (var metric in scopeMetrics.Metrics)
                {
                    AddPoints(points, metric, meter);
                }
            }

            yield return (resource, points);
        }
    }

    private static void AddPoints(List<StoredMetricPoint> points, Metric metric, string meter)
    {
        MetricInstrument Instrument(string type) => new(metric.Name, metric.Description, metric.Unit, type, meter);

        switch (metric.DataCase)
        {
            case Metric.DataOneofCase.Gauge:
                var gauge = Instrument("gauge");
                points.AddRange(metric.Gauge.DataPoints.Select(p => Number(gauge, p)));
                break;
            case Metric.DataOneofCase.Sum:
                var sum = Instrument(metric.Sum.IsMonotonic ? "counter" : "updown-counter");
                points.AddRange(metric.Sum.DataPoints.Select(p => Number(sum, p)));
                break;
            case Metric.DataOneofCase.Histogram:
                var histogram = Instrument("histogram");
                points.AddRange(metric.Histogram.DataPoints.Select(p => new StoredMetricPoint(
                    histogram, FromUnixNanos(p.TimeUnixNano), p.Count == 0 ? 0 : p.Sum / p.Count, p.Count, p.Sum, Attributes(p.Attributes))));
                break;
            case Metric.DataOneofCase.ExponentialHistogram:
                var exponential = Instrument("histogram");
                points.AddRange(metric.ExponentialHistogram.DataPoints.Select(p => new StoredMetricPoint(
                    exponential, FromUnixNanos(p.TimeUnixNano), p.Count == 0 ? 0 : p.Sum / p.Count, p.Count, p.Sum, Attributes(p.Attributes))));
                break;
            case Metric.DataOneofCase.Summary:
                var summary = Instrument("summary");
                points.AddRange(metric.Summary.DataPoints.Select(p => new StoredMetricPoint(
                    summary, FromUnixNanos(p.TimeUnixNano), p.Count == 0 ? 0 : p.Sum / p.Count, p.Count, p.Sum, Attributes(p.Attributes))));
                break;
        }
    }

    private static StoredMetricPoint Number(MetricInstrument instrument, NumberDataPoint point) => new(
        instrument,
        FromUnixNanos(point.TimeUnixNano),
        point.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? point.AsInt : point.AsDouble,
        null,
        null,
        Attributes(point.Attributes));

    public static string ServiceName(ProtoResource? resource) =>
        resource?.Attributes.FirstOrDefault(attribute => attribute.Key == "service.name")?.Value is { } value && Text(value) is { Length: > 0 } name
            ? name
            : UnknownService;

    public static LogSeverity Severity(int severityNumber) => severityNumber switch
    {
        >= 1 and <= 4 => LogSeverity.Trace,
        >= 5 and <= 8 => LogSeverity.Debug,
        >= 9 and <= 12 => LogSeverity.Information,
        >= 13 and <= 16 => LogSeverity.Warning,
        >= 17 and <= 20 => LogSeverity.Error,
        >= 21 => LogSeverity.Critical,
        _ => LogSeverity.Unspecified,
    };

    private static Dictionary<string, string> Attributes(RepeatedField<KeyValue> attributes)
    {
        var result = new Dictionary<string, string>(attributes.Count, StringComparer.Ordinal);
        foreach (var attribute in attributes)
        {
            result[Shared.Share(attribute.Key)] = attribute.Value is null ? "" : Text(attribute.Value);
        }

        return result;
    }

    private static string Text(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.ArrayValue => "[" + string.Join(", ", value.ArrayValue.Values.Select(Text)) + "]",
        AnyValue.ValueOneofCase.KvlistValue => "{" + string.Join(", ", value.KvlistValue.Values.Select(kv => $"{kv.Key}: {(kv.Value is null ? "" : Text(kv.Value))}")) + "}",
        AnyValue.ValueOneofCase.BytesValue => Convert.ToBase64String(value.BytesValue.Span),
        _ => "",
    };

    private static string? Hex(ByteString bytes) => bytes.IsEmpty ? null : Convert.ToHexStringLower(bytes.Span);

    private static DateTimeOffset FromUnixNanos(ulong nanos) =>
        DateTimeOffset.UnixEpoch.AddTicks((long)Math.Min(nanos / 100, (ulong)(DateTimeOffset.MaxValue - DateTimeOffset.UnixEpoch).Ticks));
}
