using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Api.Telemetry;
using Fleet.Contracts;

namespace Fleet.Tests.Telemetry;

/// <summary>
/// The ingest fast path reads a body straight into COPY tuples; whatever it accepts must be stored byte for byte as the
/// serializer's path (deserialize, validate, encode) stores it, and whatever that path would refuse it must leave to it.
/// </summary>
public sealed class TelemetryBodyReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly TelemetryOptions Options = new();
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.Strict };
    private static readonly Guid Device = Guid.Parse("0b4c7f1e-5a0d-4c1e-9d8a-3f2b1a0c9e77");

    public static TheoryData<string> Accepted => new()
    {
        """{"readings": [{"seq": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {"temperature": 21.5}}]}""",
        // Property order is free; whitespace anywhere; offsets and sub-microsecond digits in ts.
        """ { "readings" : [ { "metrics" : { "a" : 1 , "b.c-d_9" : -2.5e-3 } , "ts" : "2026-12-05T12:59:00.1234567+01:00" , "seq" : 0 } ] } """,
        // Several readings across midnight, seqs out of order with a gap and a repeat, ts not in order.
        """{"readings": [{"seq": 5, "ts": "2026-12-04T23:59:59.999Z", "metrics": {"x": 1}}, {"seq": 3, "ts": "2026-12-05T00:00:00Z", "metrics": {"x": 2, "errors": 0}}, {"seq": 5, "ts": "2026-12-05T00:00:00Z", "metrics": {"errors": 3}}]}""",
        // Edges of a double and of a seq; the latest reading is the first of two with the same ts.
        """{"readings": [{"seq": 9223372036854775807, "ts": "2026-12-05T11:00:00Z", "metrics": {"max": 1.7976931348623157E+308, "tiny": 5E-324, "neg0": -0.0}}, {"seq": 1, "ts": "2026-12-05T11:00:00Z", "metrics": {"other": 7}}]}""",
    };

    public static TheoryData<string> LeftToTheSerializer => new()
    {
        // Refused by the serializer's path.
        "",
        "{",
        """{"readings": []}""",
        """{"readings": null}""",
        """{"readings": [null]}""",
        """{"readings": [{"seq": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {"t": "21.5"}}]}""",
        """{"readings": [{"seq": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {"t": 1e999}}]}""",
        """{"readings": [{"seq": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {"t": NaN}}]}""",
        """{"readings": [{"seq": 1.5, "ts": "2026-12-05T11:59:00Z", "metrics": {"t": 1}}]}""",
        """{"readings": [{"seq": -1, "ts": "2026-12-05T11:59:00Z", "metrics": {"t": 1}}]}""",
        """{"readings": [{"ts": "2026-12-05T11:59:00Z", "metrics": {"t": 1}}]}""",
        """{"readings": [{"seq": 1, "metrics": {"t": 1}}]}""",
        """{"readings": [{"seq": 1, "ts": null, "metrics": {"t": 1}}]}""",
        """{"readings": [{"seq": 1, "ts": "yesterday", "metrics": {"t": 1}}]}""",
        """{"readings": [{"seq": 1, "ts": "2026-12-05T12:06:00Z", "metrics": {"t": 1}}]}""",
        """{"readings": [{"seq": 1, "ts": "2026-11-27T11:59:00Z", "metrics": {"t": 1}}]}""",
        """{"readings": [{"seq": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {}}]}""",
        """{"readings": [{"seq": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {"bad name!": 1}}]}""",
        """{"readings": [{"seq": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {"t": 1}}]} trailing""",
        """{"readings": [{"seq": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {"t": 1},}]}""",
        // Accepted by the serializer's path, in shapes the fast path does not take on.
        """{"Readings": [{"seq": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {"t": 1}}]}""",
        """{"readings": [{"SEQ": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {"t": 1}}]}""",
        """{"readings": [{"seq": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {"t": 1}, "note": "x"}]}""",
        """{"device": "x", "readings": [{"seq": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {"t": 1}}]}""",
        """{"readings": [{"seq": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {"\u0074": 1}}]}""",
        """{"readings": [{"seq": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {"t": 1, "t": 2}}]}""",
        """{"readings": [{"seq": 1, "seq": 2, "ts": "2026-12-05T11:59:00Z", "metrics": {"t": 1}}]}""",
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void A_plain_body_is_encoded_exactly_as_the_serializers_path_encodes_it(string body)
    {
        var reference = ThroughSerializer(body);
        reference.ShouldNotBeNull("the serializer's path accepts this body");
        var fast = TelemetryBodyReader.TryRead(Encoding.UTF8.GetBytes(body), Device, Now, Options, "errors");
        fast.ShouldNotBeNull();

        using (fast.Readings)
        using (reference.Readings)
        {
            fast.Readings.Tuples.ToArray().ShouldBe(reference.Readings.Tuples.ToArray());
            fast.Readings.SeqRanges.ShouldBe(reference.Readings.SeqRanges);
            fast.Readings.RepeatsSeq.ShouldBe(reference.Readings.RepeatsSeq);
            fast.Readings.Days.ShouldBe(reference.Readings.Days);
            (fast.Readings.Readings, fast.Readings.Points).ShouldBe((reference.Readings.Readings, reference.Readings.Points));
            fast.LatestMetrics.ToArray().ShouldBe(reference.LatestMetrics.ToArray());
            fast.ReportsErrors.ShouldBe(reference.ReportsErrors);
        }
    }

    [Theory]
    [MemberData(nameof(LeftToTheSerializer))]
    public void Anything_but_the_plain_shape_is_left_to_the_serializers_path(string body) =>
        TelemetryBodyReader.TryRead(Encoding.UTF8.GetBytes(body), Device, Now, Options, "errors").ShouldBeNull();

    [Fact]
    public void More_readings_or_metrics_than_allowed_are_left_to_the_serializers_path()
    {
        var options = new TelemetryOptions { MaxReadingsPerBatch = 2, MaxMetricsPerReading = 2 };
        const string reading = """{"seq": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {"a": 1, "b": 2}}""";

        TelemetryBodyReader.TryRead(Encoding.UTF8.GetBytes($$"""{"readings": [{{reading}}, {{reading}}]}"""), Device, Now, options, "errors").ShouldNotBeNull();
        TelemetryBodyReader.TryRead(Encoding.UTF8.GetBytes($$"""{"readings": [{{reading}}, {{reading}}, {{reading}}]}"""), Device, Now, options, "errors").ShouldBeNull();
        TelemetryBodyReader.TryRead(Encoding.UTF8.GetBytes("""{"readings": [{"seq": 1, "ts": "2026-12-05T11:59:00Z", "metrics": {"a": 1, "b": 2, "c": 3}}]}"""), Device, Now, options, "errors").ShouldBeNull();
    }

    [Fact]
    public void A_large_batch_grows_the_buffer_and_keeps_every_reading()
    {
        var readings = Enumerable.Range(0, 1000).Select(i =>
        {
            var metrics = string.Join(", ", Enumerable.Range(0, 20).Select(m => $"\"metric_with_a_long_name_{m}\": {i * m}"));
            return $$$"""{"seq": {{{i}}}, "ts": "2026-12-05T11:{{{i % 60:D2}}}:00Z", "metrics": {{{{metrics}}}}}""";
        });
        var body = $$"""{"readings": [{{string.Join(", ", readings)}}]}""";

        var fast = TelemetryBodyReader.TryRead(Encoding.UTF8.GetBytes(body), Device, Now, Options, "errors");
        var reference = ThroughSerializer(body);

        fast.ShouldNotBeNull();
        (fast.Readings.Readings, fast.Readings.Points).ShouldBe((1000, 20_000));
        fast.Readings.Tuples.ToArray().ShouldBe(reference!.Readings.Tuples.ToArray());
        fast.Readings.SeqRanges.ShouldBe([(0L, 999L)]);
    }

    /// <summary>What the handler does when the fast path declines: the serializer, validation, then the encoder.</summary>
    private static ParsedTelemetry? ThroughSerializer(string body)
    {
        var request = JsonSerializer.Deserialize<TelemetryBatchRequest>(body, Json)!;
        if (TelemetryValidation.Validate(request, Now, Options).Count > 0)
        {
            return null;
        }

        var sent = request.Readings!;
        var errors = sent.Any(r => r.Metrics!.TryGetValue("errors", out var value) && value > 0);
        return new ParsedTelemetry(EncodedReadings.Encode(Device, sent!), sent.MaxBy(r => r.Ts)!.Metrics!, errors);
    }
}
