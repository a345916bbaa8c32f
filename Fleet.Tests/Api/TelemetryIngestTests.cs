using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Fleet.Api.Telemetry;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Fleet.Tests.Api;

public sealed class TelemetryIngestTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly ApiFactory _api = fixture.Api;
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Accepted_batch_is_already_committed_when_the_202_arrives()
    {
        var device = await _http.RegisterDeviceAsync("TEL-DURABLE", Cancellation);

        using var response = await SendAsync(device.DeviceKey, Batch(Reading(1), Reading(2), Reading(3)));

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await response.Content.ReadFromJsonAsync<TelemetryAccepted>(Cancellation)).ShouldBe(new TelemetryAccepted(3, 6));
        (await CountPointsAsync(device.DeviceId)).ShouldBe(6);
    }

    [Fact]
    public async Task Resent_readings_are_acknowledged_but_stored_once()
    {
        var device = await _http.RegisterDeviceAsync("TEL-DUPLICATE", Cancellation);
        var batch = Batch(Reading(10), Reading(11));

        (await SendAsync(device.DeviceKey, batch)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await SendAsync(device.DeviceKey, batch)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        // Same (device, seq) with another timestamp or values is still the reading already stored.
        (await SendAsync(device.DeviceKey, Batch(Reading(11) with { Ts = DateTimeOffset.UtcNow }, Reading(11)))).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        (await CountPointsAsync(device.DeviceId)).ShouldBe(4);
        (await SequenceAsync(device.DeviceId)).ShouldBe(new TelemetrySequenceStats(10, 11, 2, 0));
    }

    [Fact]
    public async Task New_readings_are_copied_straight_in_and_a_resend_is_sorted_out_on_the_staging_path()
    {
        var device = await _http.RegisterDeviceAsync("TEL-PATHS", Cancellation);
        using var batches = new WriterMeasurements(_api.Services.GetRequiredService<TelemetryMetrics>().Meter, "fleet.telemetry.batches");

        (await SendAsync(device.DeviceKey, Batch(Reading(1), Reading(2)))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        batches.Total("direct").ShouldBe(1);
        batches.Total("staging").ShouldBe(0);

        // Seq 2 again (new ts) next to a new seq 3: the group is rolled back and admitted one by one, keeping seq 3.
        (await SendAsync(device.DeviceKey, Batch(Reading(2) with { Ts = DateTimeOffset.UtcNow }, Reading(3)))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        batches.Total("staging").ShouldBe(1);
        batches.Total("direct").ShouldBe(1);
        (await SequenceAsync(device.DeviceId)).ShouldBe(new TelemetrySequenceStats(1, 3, 3, 0));
        (await CountPointsAsync(device.DeviceId)).ShouldBe(6);

        // The clash aborted that transaction before its COMMIT; the next new readings go straight in again.
        (await SendAsync(device.DeviceKey, Batch(Reading(4), Reading(5)))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        batches.Total("direct").ShouldBe(2);
        (await SequenceAsync(device.DeviceId)).ShouldBe(new TelemetrySequenceStats(1, 5, 5, 0));
        (await CountPointsAsync(device.DeviceId)).ShouldBe(10);
    }

    [Fact]
    public async Task A_group_commit_records_the_time_of_each_phase_by_path()
    {
        var device = await _http.RegisterDeviceAsync("TEL-PHASES", Cancellation);
        using var phases = new WriterMeasurements(_api.Services.GetRequiredService<TelemetryMetrics>().Meter, "fleet.telemetry.batch.phase.duration");

        (await SendAsync(device.DeviceKey, Batch(Reading(1), Reading(2)))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        phases.Recorded.Select(p => (p.Path, p.Phase)).ShouldBe([("direct", "copy.start"), ("direct", "copy"), ("direct", "commit")]);

        // Seq 2 again with a new ts: the direct COPY goes through, its claim clashes and the transaction is rolled back
        // before any commit, and the staging path stores seq 3.
        phases.Clear();
        (await SendAsync(device.DeviceKey, Batch(Reading(2) with { Ts = DateTimeOffset.UtcNow }, Reading(3)))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        phases.Recorded.Select(p => (p.Path, p.Phase)).ShouldBe(
            [("direct", "copy.start"), ("direct", "copy"), ("staging", "copy.start"), ("staging", "copy"), ("staging", "commit")]);
        phases.Recorded.ShouldAllBe(p => p.Value > 0 && p.Value < 30);
    }

    /// <summary>
    /// One instrument of this API's writer (fleet.telemetry.batches, fleet.telemetry.batch.phase.duration), each
    /// measurement with its path and phase tags, in the order they were recorded.
    /// </summary>
    private sealed class WriterMeasurements : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Path, string Phase, double Value)> _recorded = [];

        public WriterMeasurements(Meter meter, string instrumentName)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter == meter && instrument.Name == instrumentName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) => Add(value, tags));
            _listener.SetMeasurementEventCallback<double>((_, value, tags, _) => Add(value, tags));
            _listener.Start();
        }

        public IReadOnlyList<(string Path, string Phase, double Value)> Recorded
        {
            get
            {
                lock (_recorded)
                {
                    return [.. _recorded];
                }
            }
        }

        /// <summary>The sum of what was recorded for group commits on <paramref name="path"/>.</summary>
        public double Total(string path) => Recorded.Where(m => m.Path == path).Sum(m => m.Value);

        public void Clear()
        {
            lock (_recorded)
            {
                _recorded.Clear();
            }
        }

        public void Dispose() => _listener.Dispose();

        private void Add(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var (path, phase) = ("", "");
            foreach (var tag in tags)
            {
                (path, phase) = tag.Key switch
                {
                    "fleet.telemetry.path" => ((string)tag.Value!, phase),
                    "fleet.telemetry.phase" => (path, (string)tag.Value!),
                    _ => (path, phase),
                };
            }

            lock (_recorded)
            {
                _recorded.Add((path, phase, value));
            }
        }
    }

    [Fact]
    public async Task Readings_are_stored_exactly_as_sent_metric_order_values_and_microseconds()
    {
        var device = await _http.RegisterDeviceAsync("TEL-EXACT", Cancellation);
        // Whole microseconds (what timestamptz keeps); seqs out of order with a gap; values at the edges of a double.
        var ts = new DateTimeOffset(DateTime.UtcNow.Ticks / 10 * 10, TimeSpan.Zero).AddMinutes(-1);
        var values = new Dictionary<string, double> { ["z.last-1"] = -1.5e-300, ["a_first"] = double.MaxValue, ["m"] = -0.0, ["x"] = 123456.789 };
        var batch = Batch(
            new TelemetryReading(7, ts, values),
            new TelemetryReading(3, ts.AddTicks(-10), new Dictionary<string, double> { ["one"] = double.Epsilon }),
            new TelemetryReading(4, ts.AddTicks(-20), new Dictionary<string, double> { ["two"] = -42 }));

        (await SendAsync(device.DeviceKey, batch)).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        await using var dataSource = NpgsqlDataSource.Create(_api.DatabaseConnectionString);
        await using var command = dataSource.CreateCommand("SELECT seq, ts, metric_names, metric_values FROM telemetry WHERE device_id = $1 ORDER BY seq");
        command.Parameters.Add(new NpgsqlParameter { Value = device.DeviceId });
        var stored = new List<(long Seq, DateTime Ts, string[] Names, double[] Values)>();
        await using (var reader = await command.ExecuteReaderAsync(Cancellation))
        {
            while (await reader.ReadAsync(Cancellation))
            {
                stored.Add((reader.GetInt64(0), reader.GetDateTime(1), reader.GetFieldValue<string[]>(2), reader.GetFieldValue<double[]>(3)));
            }
        }

        stored.Select(r => r.Seq).ShouldBe([3, 4, 7]);
        stored.Select(r => r.Ts).ShouldBe([ts.AddTicks(-10).UtcDateTime, ts.AddTicks(-20).UtcDateTime, ts.UtcDateTime]);
        stored[2].Names.ShouldBe(["z.last-1", "a_first", "m", "x"]);
        stored[2].Values.ShouldBe([-1.5e-300, double.MaxValue, -0.0, 123456.789]);
        double.IsNegative(stored[2].Values[2]).ShouldBeTrue();
        stored[0].Values.ShouldBe([double.Epsilon]);
        stored[1].Names.ShouldBe(["two"]);
        (await SequenceAsync(device.DeviceId)).ShouldBe(new TelemetrySequenceStats(3, 7, 3, 2));
    }

    [Theory]
    [InlineData(new long[] { 1, 2, 3 }, "1-3", false)]
    [InlineData(new long[] { 9, 1, 3, 2, 5 }, "1-3 5-5 9-9", false)]
    [InlineData(new long[] { 4, 4 }, "4-4", true)]
    [InlineData(new long[] { 1, 2, 3, 2 }, "1-3", true)]
    [InlineData(new long[] { long.MaxValue, long.MaxValue, 0 }, "0-0 9223372036854775807-9223372036854775807", true)]
    public void A_requests_seqs_become_ascending_runs_and_a_repeat_is_noticed(long[] seqs, string runs, bool repeats)
    {
        var (found, repeated) = EncodedReadings.Runs(seqs);

        string.Join(' ', found.Select(run => $"{run.First}-{run.Last}")).ShouldBe(runs);
        repeated.ShouldBe(repeats);
    }

    [Fact]
    public async Task Sequence_gaps_are_counted_per_device_and_shrink_when_late_readings_arrive()
    {
        var device = await _http.RegisterDeviceAsync("TEL-GAPS", Cancellation);
        var other = await _http.RegisterDeviceAsync("TEL-GAPS-OTHER", Cancellation);

        await SendAsync(device.DeviceKey, Batch(Reading(1), Reading(2), Reading(5), Reading(6)));
        await SendAsync(other.DeviceKey, Batch(Reading(1), Reading(2)));
        (await SequenceAsync(device.DeviceId)).ShouldBe(new TelemetrySequenceStats(1, 6, 4, 2));

        await SendAsync(device.DeviceKey, Batch(Reading(3)));
        (await SequenceAsync(device.DeviceId)).Gaps.ShouldBe(1);
        (await SequenceAsync(other.DeviceId)).Gaps.ShouldBe(0);
    }

    [Fact]
    public void Group_commit_durations_are_bucketed_in_seconds_not_milliseconds()
    {
        // The exporters take the buckets from the instrument's advice; their defaults (0, 5, 10 … 10000) are for milliseconds.
        var meter = _api.Services.GetRequiredService<TelemetryMetrics>().Meter;
        IReadOnlyList<double>? bounds = null;
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter == meter && instrument is Histogram<double> { Name: "fleet.telemetry.batch.duration" } histogram)
                {
                    bounds = histogram.Advice?.HistogramBucketBoundaries;
                }
            };
            listener.Start();
        }

        bounds.ShouldNotBeNull();
        bounds.ShouldContain(0.005);
        bounds.ShouldContain(0.25);
        bounds.Max().ShouldBeLessThanOrEqualTo(10);
    }

    [Fact]
    public async Task Overlapping_batches_sent_at_once_through_two_replicas_store_each_reading_once()
    {
        // Two replicas, each with its writer lanes, take overlapping windows of the same devices' seqs at the same
        // time: the per-device lock must admit every seq exactly once, and no batch may fail on a lock cycle.
        using var otherReplica = _api.WithWebHostBuilder(_ => { });
        using var other = otherReplica.CreateClient();
        var devices = new List<RegisterDeviceResponse>();
        for (var d = 0; d < 4; d++)
        {
            devices.Add(await _http.RegisterDeviceAsync($"TEL-RACE-{d}", Cancellation));
        }

        var sends = new List<Task<HttpResponseMessage>>();
        for (var window = 0; window < 12; window++)
        {
            foreach (var (device, index) in devices.Select((device, index) => (device, index)))
            {
                // Seqs window*5+1 .. window*5+10: each overlaps the next window by half, devices in a different order per window.
                var batch = Batch([.. Enumerable.Range(window * 5 + 1, 10).Select(Reading)]);
                var client = (window + index) % 2 == 0 ? _http : other;
                sends.Add(client.PostAsDeviceAsync(FleetHttp.TelemetryRoute, devices[(index + window) % devices.Count].DeviceKey, JsonContent.Create(batch), Cancellation));
            }
        }

        var responses = await Task.WhenAll(sends);
        responses.Select(r => r.StatusCode).ShouldAllBe(status => status == HttpStatusCode.Accepted);
        foreach (var device in devices)
        {
            // Seqs 1..65, each stored once with its two metrics.
            (await CountPointsAsync(device.DeviceId)).ShouldBe(65 * 2);
            (await SequenceAsync(device.DeviceId)).ShouldBe(new TelemetrySequenceStats(1, 65, 65, 0));
        }

        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Theory]
    [InlineData("""{"readings": [{"seq": 1, "ts": "NOW", "metrics": {"temperature": "21.5"}}]}""", "readings[0].metrics.temperature")]
    [InlineData("""{"readings": [{"seq": 1, "ts": "NOW", "metrics": {"temperature": 1e999}}]}""", "readings[0].metrics.temperature")]
    [InlineData("""{"readings": [{"seq": 1, "ts": "NOW", "metrics": {"temperature": NaN}}]}""", "readings[0].metrics.temperature")]
    [InlineData("""{"readings": [{"ts": "NOW", "metrics": {"temperature": 1}}]}""", "readings[0].seq")]
    [InlineData("""{"readings": [{"seq": -1, "ts": "NOW", "metrics": {"temperature": 1}}]}""", "readings[0].seq")]
    [InlineData("""{"readings": [{"seq": 1, "metrics": {"temperature": 1}}]}""", "readings[0].ts")]
    [InlineData("""{"readings": [{"seq": 1, "ts": "FUTURE", "metrics": {"temperature": 1}}]}""", "readings[0].ts")]
    [InlineData("""{"readings": [{"seq": 1, "ts": "PAST", "metrics": {"temperature": 1}}]}""", "readings[0].ts")]
    [InlineData("""{"readings": [{"seq": 1, "ts": "NOW", "metrics": {}}]}""", "readings[0].metrics")]
    [InlineData("""{"readings": [{"seq": 1, "ts": "NOW", "metrics": {"bad name!": 1}}]}""", "readings[0].metrics.bad name!")]
    [InlineData("""{"readings": []}""", "readings")]
    [InlineData("""{}""", "readings")]
    [InlineData("""{"readings": [{"seq": 1, "ts": "NOW", "metrics": {"t": 1}""", "readings[0]")]
    public async Task Bad_input_is_a_400_naming_the_field_and_loses_nothing_accepted_before(string body, string field)
    {
        var device = await _http.RegisterDeviceAsync($"TEL-BAD-{Guid.NewGuid():N}", Cancellation);
        (await SendAsync(device.DeviceKey, Batch(Reading(1)))).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        var now = DateTimeOffset.UtcNow;
        var json = body.Replace("NOW", now.ToString("O"))
            .Replace("FUTURE", now.AddHours(1).ToString("O"))
            .Replace("PAST", now.AddDays(-8).ToString("O"));
        using var response = await _http.PostAsDeviceAsync(FleetHttp.TelemetryRoute, device.DeviceKey, new StringContent(json, Encoding.UTF8, "application/json"), Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation);
        problem!.Errors.Keys.ShouldContain(field);
        (await CountPointsAsync(device.DeviceId)).ShouldBe(2);
    }

    [Fact]
    public async Task Bodies_in_shapes_the_fast_path_leaves_alone_are_stored_through_the_serializer()
    {
        var device = await _http.RegisterDeviceAsync("TEL-LENIENT", Cancellation);
        var ts = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O");
        string[] bodies =
        [
            $$$"""{"Readings": [{"Seq": 1, "TS": "{{{ts}}}", "Metrics": {"t": 1}}]}""",
            $$$"""{"device": "ignored", "readings": [{"seq": 2, "ts": "{{{ts}}}", "metrics": {"t": 2}, "note": "ignored"}]}""",
            $$$"""{"readings": [{"seq": 3, "ts": "{{{ts}}}", "metrics": {"\u0074": 3}}]}""",
            $$$"""{"readings": [{"seq": 4, "ts": "{{{ts}}}", "metrics": {"t": 0, "u": 5, "t": 4}}]}""",
        ];

        foreach (var body in bodies)
        {
            using var response = await _http.PostAsDeviceAsync(FleetHttp.TelemetryRoute, device.DeviceKey, new StringContent(body, Encoding.UTF8, "application/json"), Cancellation);
            response.StatusCode.ShouldBe(HttpStatusCode.Accepted, body);
        }

        var stored = await Sql.ScalarAsync<string>(_api.DatabaseConnectionString,
            "SELECT string_agg(seq || ':' || array_to_string(metric_names, ',') || '=' || array_to_string(metric_values, ','), ' ' ORDER BY seq) FROM telemetry WHERE device_id = $1",
            Cancellation, device.DeviceId);
        // A metric named twice keeps its last value, in the place of its first (the serializer's dictionary).
        stored.ShouldBe("1:t=1 2:t=2 3:t=3 4:t,u=4,5");
    }

    [Fact]
    public async Task More_than_a_thousand_readings_are_refused()
    {
        var device = await _http.RegisterDeviceAsync("TEL-TOO-MANY", Cancellation);

        using var response = await SendAsync(device.DeviceKey, Batch(Enumerable.Range(1, 1001).Select(Reading).ToArray()));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation))!.Errors.Keys.ShouldBe(["readings"]);
    }

    [Fact]
    public async Task Body_over_the_limit_is_a_413_problem()
    {
        var device = await _http.RegisterDeviceAsync("TEL-HUGE", Cancellation);
        var padding = new string(' ', 1024 * 1024 + 1);

        using var response = await _http.PostAsDeviceAsync(FleetHttp.TelemetryRoute, device.DeviceKey,
            new StringContent("{\"readings\": []}" + padding, Encoding.UTF8, "application/json"), Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task A_device_over_its_request_budget_gets_429_with_retry_after_and_others_do_not()
    {
        var noisy = await _http.RegisterDeviceAsync("TEL-NOISY", Cancellation);
        var quiet = await _http.RegisterDeviceAsync("TEL-QUIET", Cancellation);
        var budget = new TelemetryOptions().RequestsPerDevicePerMinute;

        HttpStatusCode last = HttpStatusCode.OK;
        HttpResponseMessage? limited = null;
        // The window is a fixed minute: if it turns during the loop, the new one is exceeded within budget + 1 more.
        for (var i = 0; i <= (2 * budget) + 1 && limited is null; i++)
        {
            var response = await SendAsync(noisy.DeviceKey, Batch(Reading(i)));
            last = response.StatusCode;
            if (last == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        limited.ShouldNotBeNull("the device stayed under its budget");
        using (limited)
        {
            limited.Headers.RetryAfter!.Delta!.Value.ShouldBeInRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        }

        // The window's count goes away by itself: it expires two minutes after the window's first request.
        var redis = _api.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase();
        var window = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60;
        var ttl = await redis.KeyTimeToLiveAsync(Fleet.Api.Infrastructure.RedisKeys.TelemetryRate(noisy.DeviceId, window))
            ?? await redis.KeyTimeToLiveAsync(Fleet.Api.Infrastructure.RedisKeys.TelemetryRate(noisy.DeviceId, window - 1));
        ttl.ShouldNotBeNull();
        ttl.Value.ShouldBeInRange(TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(2));

        (await SendAsync(quiet.DeviceKey, Batch(Reading(1)))).StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task Telemetry_needs_a_device_key()
    {
        using var response = await _http.PostAsDeviceAsync(FleetHttp.TelemetryRoute, null, JsonContent.Create(Batch(Reading(1))), Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Readings_land_in_day_partitions_and_retention_drops_only_old_ones()
    {
        var device = await _http.RegisterDeviceAsync("TEL-PARTITION", Cancellation);
        await SendAsync(device.DeviceKey, Batch(Reading(1)));
        await using var dataSource = NpgsqlDataSource.Create(_api.DatabaseConnectionString);
        var partitions = new TelemetryPartitions();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await using (var connection = await dataSource.OpenConnectionAsync(Cancellation))
        {
            await partitions.EnsureAsync(connection, [today.AddDays(-40)], Cancellation);
        }

        var dropped = await partitions.DropOlderThanAsync(dataSource, DateTimeOffset.UtcNow.AddDays(-30), Cancellation);

        dropped.ShouldBe([TelemetrySchema.PartitionName(today.AddDays(-40))]);
        (await TelemetryPartitions.ListAsync(dataSource, Cancellation)).Select(p => p.Day).ShouldContain(today);
        (await CountPointsAsync(device.DeviceId)).ShouldBe(2);
    }

    private static TelemetryReading Reading(int seq) =>
        new(seq, DateTimeOffset.UtcNow.AddSeconds(-seq), new Dictionary<string, double> { ["temperature"] = 20 + seq / 10.0, ["humidity"] = 40 });

    private static TelemetryBatchRequest Batch(params TelemetryReading[] readings) => new(readings);

    private Task<HttpResponseMessage> SendAsync(string key, TelemetryBatchRequest batch) =>
        _http.PostAsDeviceAsync(FleetHttp.TelemetryRoute, key, JsonContent.Create(batch), Cancellation);

    private async Task<TelemetrySequenceStats> SequenceAsync(Guid deviceId) =>
        (await _http.GetAsOperatorAsync<TelemetrySequenceStats>($"/api/v1/devices/{deviceId}/telemetry/sequence", Cancellation))!;

    private Task<long> CountPointsAsync(Guid deviceId) =>
        Sql.ScalarAsync<long>(_api.DatabaseConnectionString, "SELECT coalesce(sum(cardinality(metric_names)), 0) FROM telemetry WHERE device_id = $1", Cancellation, deviceId);

    public void Dispose() => _http.Dispose();
}
