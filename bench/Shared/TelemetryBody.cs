using System.Buffers;
using System.Text.Json;

namespace Fleet.Bench;

/// <summary>
/// A telemetry body (the <c>TelemetryBatchRequest</c> shape) written straight out as JSON: the load generator shares the
/// machine with what it measures, so it builds no readings or dictionaries to serialize.
/// </summary>
internal static class TelemetryBody
{
    /// <summary><paramref name="readings"/> readings with seqs <paramref name="firstSeq"/>, +1, … and random values of <paramref name="metricNames"/>.</summary>
    public static ReadOnlyMemory<byte> Write(IReadOnlyList<string> metricNames, long firstSeq, int readings, DateTimeOffset now)
    {
        var body = new ArrayBufferWriter<byte>(readings * (48 + (12 * metricNames.Count)));
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteStartArray("readings");
            for (var r = 0; r < readings; r++)
            {
                json.WriteStartObject();
                json.WriteNumber("seq", firstSeq + r);
                json.WriteString("ts", now.AddMilliseconds(-r));
                json.WriteStartObject("metrics");
                foreach (var name in metricNames)
                {
                    json.WriteNumber(name, Random.Shared.NextDouble() * 100);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return body.WrittenMemory;
    }
}
