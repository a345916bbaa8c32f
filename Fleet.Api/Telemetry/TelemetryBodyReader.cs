using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Fleet.Api.Telemetry;

/// <summary>A telemetry body read straight into COPY tuples, with what the alert evaluator and the rollout gate need of it.</summary>
public sealed record ParsedTelemetry(EncodedReadings Readings, IReadOnlyDictionary<string, double> LatestMetrics, bool ReportsErrors);

/// <summary>
/// The ingest fast path: one pass of a <see cref="Utf8JsonReader"/> over a body of the plain shape
/// <c>{"readings": [{"seq", "ts", "metrics": {name: number}}]}</c> writes each reading's COPY tuple as it goes, with no
/// request object and no dictionary per reading. It accepts only what the serializer and <see cref="TelemetryValidation"/>
/// would accept and store the same way; anything else (an error, but also a shape the serializer is lenient about:
/// other casing, unknown properties, escaped names, a metric named twice) returns null, and the caller takes the
/// serializer's path, which stores it or names the field at fault.
/// </summary>
public static class TelemetryBodyReader
{
    private static readonly byte[] ReadingsProperty = "readings"u8.ToArray();
    private static readonly byte[] SeqProperty = "seq"u8.ToArray();
    private static readonly byte[] TsProperty = "ts"u8.ToArray();
    private static readonly byte[] MetricsProperty = "metrics"u8.ToArray();
    private static readonly SearchValues<byte> MetricNameBytes =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"u8);

    public static ParsedTelemetry? TryRead(ReadOnlySpan<byte> json, Guid deviceId, DateTimeOffset now, TelemetryOptions options, string errorMetric)
    {
        var writer = new EncodedReadings.Builder(deviceId, json.Length * 2);
        Span<byte> errorMetricBytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(errorMetric.Length)];
        errorMetricBytes = errorMetricBytes[..Encoding.UTF8.GetBytes(errorMetric, errorMetricBytes)];
        try
        {
            if (ReadBody(json, writer, now, options, errorMetricBytes) is { } read)
            {
                var readings = writer.Build();
                return new ParsedTelemetry(readings, readings.MetricsAt(read.LatestOffset), read.ReportsErrors);
            }
        }
        catch (JsonException)
        {
            // Not valid JSON: the serializer's path says where.
        }

        writer.Abandon();
        return null;
    }

    private static (int LatestOffset, bool ReportsErrors)? ReadBody(ReadOnlySpan<byte> json, EncodedReadings.Builder writer, DateTimeOffset now, TelemetryOptions options, ReadOnlySpan<byte> errorMetric)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject
            || !reader.Read() || !IsProperty(ref reader, ReadingsProperty)
            || !reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            return null;
        }

        Span<double> values = stackalloc double[options.MaxMetricsPerReading];
        Span<Range> names = stackalloc Range[options.MaxMetricsPerReading];
        var (latestOffset, latestTs, reportsErrors) = (-1, DateTimeOffset.MinValue, false);
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            if (writer.Readings == options.MaxReadingsPerBatch
                || ReadReading(json, ref reader, now, options, names, values) is not { } reading)
            {
                return null;
            }

            var offset = writer.Add(reading.Seq, reading.Ts.UtcDateTime, json, names[..reading.Metrics], values[..reading.Metrics]);
            if (latestOffset < 0 || reading.Ts > latestTs)
            {
                (latestOffset, latestTs) = (offset, reading.Ts);
            }

            for (var m = 0; m < reading.Metrics && !reportsErrors; m++)
            {
                reportsErrors = values[m] > 0 && json[names[m]].SequenceEqual(errorMetric);
            }
        }

        // The readings array ends, then the body: one property, nothing after it.
        var ended = reader.TokenType == JsonTokenType.EndArray && writer.Readings > 0
            && reader.Read() && reader.TokenType == JsonTokenType.EndObject && !reader.Read();
        return ended ? (latestOffset, reportsErrors) : null;
    }

    private static (long Seq, DateTimeOffset Ts, int Metrics)? ReadReading(
        ReadOnlySpan<byte> json, ref Utf8JsonReader reader, DateTimeOffset now, TelemetryOptions options, scoped Span<Range> names, scoped Span<double> values)
    {
        long? seq = null;
        DateTimeOffset? ts = null;
        var metrics = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (IsProperty(ref reader, SeqProperty) && seq is null)
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value) || value < 0)
                {
                    return null;
                }

                seq = value;
            }
            else if (IsProperty(ref reader, TsProperty) && ts is null)
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var value)
                    || value < now - options.MaxPast || value > now + options.MaxFuture)
                {
                    return null;
                }

                ts = value;
            }
            else if (IsProperty(ref reader, MetricsProperty) && metrics < 0)
            {
                metrics = ReadMetrics(json, ref reader, names, values);
                if (metrics <= 0)
                {
                    return null;
                }
            }
            else
            {
                return null;
            }
        }

        return reader.TokenType == JsonTokenType.EndObject && seq is { } s && ts is { } t && metrics > 0 ? (s, t, metrics) : null;
    }

    /// <summary>The metrics object: each name's place in <paramref name="json"/> and its value; how many, or -1 if refused.</summary>
    private static int ReadMetrics(ReadOnlySpan<byte> json, ref Utf8JsonReader reader, scoped Span<Range> names, scoped Span<double> values)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return -1;
        }

        var count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (count == names.Length || reader.ValueIsEscaped || !IsMetricName(reader.ValueSpan))
            {
                return -1;
            }

            // A property name's token starts at its opening quote.
            var start = (int)reader.TokenStartIndex + 1;
            var name = start..(start + reader.ValueSpan.Length);
            for (var earlier = 0; earlier < count; earlier++)
            {
                if (json[names[earlier]].SequenceEqual(json[name]))
                {
                    return -1;
                }
            }

            if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var value) || !double.IsFinite(value))
            {
                return -1;
            }

            (names[count], values[count]) = (name, value);
            count++;
        }

        return reader.TokenType == JsonTokenType.EndObject ? count : -1;
    }

    private static bool IsProperty(ref Utf8JsonReader reader, byte[] name) =>
        reader.TokenType == JsonTokenType.PropertyName && !reader.ValueIsEscaped && reader.ValueSpan.SequenceEqual(name);

    /// <summary>The same rule as <see cref="TelemetryValidation"/>: 1..64 ASCII letters, digits, '_', '.' or '-'.</summary>
    private static bool IsMetricName(ReadOnlySpan<byte> name) =>
        name.Length is > 0 and <= TelemetryValidation.MaxMetricNameLength && name.IndexOfAnyExcept(MetricNameBytes) < 0;
}
