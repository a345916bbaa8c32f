using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Fleet.Api.Telemetry;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace Fleet.Tests.Api;

/// <summary>
/// <c>Fleet:Telemetry:Acknowledge = Logged</c>: a 202 once the readings are in the telemetry log (a Redis stream), which
/// the writer drains into PostgreSQL. Real Redis and PostgreSQL; one writer lane, a log of at most two entries.
/// </summary>
public sealed class TelemetryLogTests(TelemetryLogTests.Fixture fixture) : IClassFixture<TelemetryLogTests.Fixture>, IDisposable
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(15);
    private readonly ApiFactory _api = fixture.Api;
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private IDatabase Redis => _api.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

    [Fact]
    public async Task A_logged_batch_is_stored_a_moment_after_its_202_and_a_resend_is_stored_once()
    {
        var device = await _http.RegisterDeviceAsync("LOG-STORED", Cancellation);

        (await _http.SendReadingAsync(device.DeviceKey, 1, Cancellation)).ShouldBe(HttpStatusCode.Accepted);
        (await _http.SendReadingAsync(device.DeviceKey, 2, Cancellation)).ShouldBe(HttpStatusCode.Accepted);
        await SequenceBecomesAsync(device.DeviceId, new TelemetrySequenceStats(1, 2, 2, 0));

        (await _http.SendReadingAsync(device.DeviceKey, 2, Cancellation)).ShouldBe(HttpStatusCode.Accepted);
        (await _http.SendReadingAsync(device.DeviceKey, 4, Cancellation)).ShouldBe(HttpStatusCode.Accepted);
        await SequenceBecomesAsync(device.DeviceId, new TelemetrySequenceStats(1, 4, 3, 1));
        (await CountReadingsAsync(device.DeviceId)).ShouldBe(3);
        await LogEmptiesAsync();
    }

    [Fact]
    public async Task An_entry_read_by_a_replica_that_stopped_before_storing_it_is_claimed_and_stored_once()
    {
        var device = await RegisterWithSeqOneStoredAsync("LOG-CLAIMED");

        // Seqs 1 and 2 logged and read by a consumer that then went away: seq 1 had been stored, seq 2 not.
        using (var readings = EncodedReadings.Encode(device.DeviceId, [Reading(1), Reading(2)]))
        {
            await Redis.ScriptEvaluateAsync($"""
                redis.call('XADD', KEYS[1], '*', '{TelemetryLog.DeviceField}', ARGV[1], '{TelemetryLog.ReadingsField}', ARGV[2])
                return redis.call('XREADGROUP', 'GROUP', '{TelemetryLog.Group}', 'gone', 'COUNT', 1, 'STREAMS', KEYS[1], '>')
                """, [TelemetryLog.Key], [device.DeviceId.ToByteArray(bigEndian: true), LogEntry(readings)]);
        }

        (await Redis.StreamPendingAsync(TelemetryLog.Key, TelemetryLog.Group)).Consumers.ShouldContain(c => c.Name == "gone");
        await SequenceBecomesAsync(device.DeviceId, new TelemetrySequenceStats(1, 2, 2, 0));
        (await CountReadingsAsync(device.DeviceId)).ShouldBe(2);
        await LogEmptiesAsync();
    }

    [Fact]
    public async Task A_log_that_lost_its_stream_and_consumer_group_is_drained_again()
    {
        var device = await RegisterWithSeqOneStoredAsync("LOG-LOST");

        // As after a Redis that restarted without its data: the next append makes a stream that has no group.
        (await Redis.KeyDeleteAsync(TelemetryLog.Key)).ShouldBeTrue();
        (await _http.SendReadingAsync(device.DeviceKey, 2, Cancellation)).ShouldBe(HttpStatusCode.Accepted);

        await SequenceBecomesAsync(device.DeviceId, new TelemetrySequenceStats(1, 2, 2, 0));
        await LogEmptiesAsync();
    }

    [Fact]
    public async Task While_the_log_is_full_a_request_waits_for_room_then_gets_503_and_what_was_logged_is_stored_even_when_sent_at_once()
    {
        var device = await RegisterWithSeqOneStoredAsync("LOG-FULL");

        // Holding the device's sequence row stalls the writer's claim, so what is logged now stays in the log.
        await using var blocker = new NpgsqlConnection(_api.DatabaseConnectionString);
        await blocker.OpenAsync(Cancellation);
        var hold = await blocker.BeginTransactionAsync(Cancellation);
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM telemetry_sequences WHERE device_id = $1 FOR UPDATE", blocker, hold) { Parameters = { new() { Value = device.DeviceId } } })
        {
            await lockRow.ExecuteNonQueryAsync(Cancellation);
        }

        // Three at once for a log of two: two are logged, the third waits for room, then is refused.
        var sent = await Task.WhenAll(new long[] { 2, 3, 4 }.Select(async seq =>
        {
            var waited = Stopwatch.StartNew();
            using var response = await _http.PostAsDeviceAsync(FleetHttp.TelemetryRoute, device.DeviceKey, JsonContent.Create(new TelemetryBatchRequest([Reading(seq)])), Cancellation);
            var problem = response.IsSuccessStatusCode ? null : await response.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation);
            return (Seq: seq, response.StatusCode, Waited: waited.Elapsed, RetryAfter: response.Headers.RetryAfter, problem?.Title);
        }));

        sent.Select(s => s.StatusCode).ShouldBe([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.ServiceUnavailable], ignoreOrder: true);
        var refused = sent.Single(s => s.StatusCode == HttpStatusCode.ServiceUnavailable);
        refused.Waited.ShouldBeGreaterThanOrEqualTo(Fixture.FullWait);
        refused.RetryAfter.ShouldNotBeNull();
        refused.Title.ShouldBe("Telemetry backlog full");
        (await Redis.StreamLengthAsync(TelemetryLog.Key)).ShouldBe(2);

        await hold.RollbackAsync(Cancellation);
        var last = sent.Where(s => s.StatusCode == HttpStatusCode.Accepted).Max(s => s.Seq);
        await SequenceBecomesAsync(device.DeviceId, new TelemetrySequenceStats(1, last, 3, last - 3));
        await LogEmptiesAsync();
        (await CountReadingsAsync(device.DeviceId)).ShouldBe(3);
    }

    [Fact]
    public void A_log_entry_gives_back_the_tuples_seqs_days_and_points_it_was_written_from_in_a_third_of_their_size()
    {
        var device = Guid.NewGuid();
        var yesterday = new DateTimeOffset(2026, 12, 5, 23, 59, 0, TimeSpan.Zero);
        var sent = new TelemetryReading?[]
        {
            new(7, yesterday, new Dictionary<string, double> { ["a"] = 1, ["b"] = 2 }),
            new(5, yesterday.AddMinutes(2), new Dictionary<string, double> { ["b"] = -3.5, ["a"] = double.MaxValue }),
            new(6, yesterday.AddMinutes(-3), new Dictionary<string, double> { ["d"] = 4, ["a"] = 5, ["f"] = 6 }),
            new(long.MaxValue, yesterday.AddMinutes(4), new Dictionary<string, double> { ["g"] = double.Epsilon }),
        };
        using var encoded = EncodedReadings.Encode(device, sent);
        var entry = LogEntry(encoded);

        using var read = EncodedReadings.FromLogEntry(device, entry);

        read.ShouldNotBeNull();
        read.Tuples.ToArray().ShouldBe(encoded.Tuples.ToArray());
        (read.Readings, read.Points, read.RepeatsSeq).ShouldBe((4, 8, false));
        read.SeqRanges.ShouldBe([(5L, 7L), (long.MaxValue, long.MaxValue)]);
        read.Days.ShouldBe([new DateOnly(2026, 12, 5), new DateOnly(2026, 12, 6)], ignoreOrder: true);
        EncodedReadings.FromLogEntry(device, entry.AsSpan()[..^3]).ShouldBeNull("a cut entry");
        EncodedReadings.FromLogEntry(device, [.. entry, 0]).ShouldBeNull("an entry with bytes after its readings");
        EncodedReadings.FromLogEntry(device, encoded.Tuples.ToArray()).ShouldBeNull("tuples, not an entry");

        // What a device typically sends: many readings of the same few metrics.
        using var typical = EncodedReadings.Encode(device, [.. Enumerable.Range(1, 200).Select(seq => (TelemetryReading?)new(seq, yesterday.AddSeconds(seq),
            new Dictionary<string, double> { ["temperature"] = 20.5 + seq, ["humidity"] = 41, ["battery"] = 87.25, ["signal"] = -71, ["uptime"] = 3600 + seq }))]);
        LogEntry(typical).Length.ShouldBeLessThan(typical.Length / 3);
    }

    private static byte[] LogEntry(EncodedReadings readings)
    {
        var entry = new byte[readings.MaxLogEntryLength];
        return entry[..readings.WriteLogEntry(entry)];
    }

    /// <summary>A new device whose reading of seq 1 went through the log and is stored.</summary>
    private async Task<RegisterDeviceResponse> RegisterWithSeqOneStoredAsync(string serial)
    {
        var device = await _http.RegisterDeviceAsync(serial, Cancellation);
        (await _http.SendReadingAsync(device.DeviceKey, 1, Cancellation)).ShouldBe(HttpStatusCode.Accepted);
        await SequenceBecomesAsync(device.DeviceId, new TelemetrySequenceStats(1, 1, 1, 0));
        return device;
    }

    private static TelemetryReading Reading(long seq) =>
        new(seq, DateTimeOffset.UtcNow.AddSeconds(-seq), new Dictionary<string, double> { ["temperature"] = 20 + seq });

    private Task SequenceBecomesAsync(Guid deviceId, TelemetrySequenceStats expected) =>
        Eventually.TrueAsync(async () => await _http.GetAsOperatorAsync<TelemetrySequenceStats>($"/api/v1/devices/{deviceId}/telemetry/sequence", Cancellation) == expected,
            Soon, $"the device's sequence to read {expected}", Cancellation);

    private Task LogEmptiesAsync() =>
        Eventually.TrueAsync(async () => await Redis.StreamLengthAsync(TelemetryLog.Key) == 0, Soon, "the telemetry log to empty", Cancellation);

    private Task<long> CountReadingsAsync(Guid deviceId) =>
        Sql.ScalarAsync<long>(_api.DatabaseConnectionString, "SELECT count(*) FROM telemetry WHERE device_id = $1", Cancellation, deviceId);

    public void Dispose() => _http.Dispose();

    /// <summary>An API that acknowledges logged telemetry, with one lane, a two-entry log and short waits.</summary>
    public sealed class Fixture(BackingServers servers) : IAsyncLifetime
    {
        public static readonly TimeSpan FullWait = TimeSpan.FromMilliseconds(400);

        public ApiFactory Api { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Api = await ApiFactory.StartAsync(servers, TestContext.Current.CancellationToken,
            new Dictionary<string, string?>
            {
                ["Fleet:Telemetry:Acknowledge"] = "Logged",
                ["Fleet:Telemetry:WriterLanes"] = "1",
                ["Fleet:Telemetry:MaxLogBacklog"] = "2",
                ["Fleet:Telemetry:LogFullWait"] = FullWait.ToString(),
                ["Fleet:Telemetry:LogClaimAfter"] = "00:00:00.300",
            });

        public async ValueTask DisposeAsync() => await Api.DisposeAsync();
    }
}
