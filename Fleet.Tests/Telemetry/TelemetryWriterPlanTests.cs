using System.Net;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rollouts;

namespace Fleet.Tests.Telemetry;

/// <summary>
/// The writer's claim is a prepared statement with a generic plan. Planned while telemetry_sequences holds one row, that
/// plan hash-joins a full scan of the table; these tests check that a lane plans again once the table has grown, so a
/// group commit then reads only its own devices' rows, however large the fleet.
/// </summary>
public sealed class TelemetryWriterPlanTests(TelemetryWriterPlanTests.Fixture fixture) : IClassFixture<TelemetryWriterPlanTests.Fixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    // An idle backend reports its table statistics within PostgreSQL's idle interval of 10 s.
    private static readonly TimeSpan StatisticsDelay = TimeSpan.FromSeconds(11);

    [Fact]
    public async Task Once_the_fleet_has_grown_a_group_commit_no_longer_scans_every_devices_sequence_row()
    {
        var api = fixture.Api;
        using var http = api.CreateClient();
        var device = await http.RegisterDeviceAsync("PLAN-1", Cancellation);
        (await http.SendReadingAsync(device.DeviceKey, 1, Cancellation)).ShouldBe(HttpStatusCode.Accepted);
        // Statistics taken while the fleet is one device (as autovacuum takes them on a new install); they invalidate the
        // lane's plans, so its next group plans the claim for a one-row table.
        await Sql.ExecuteAsync(api.DatabaseConnectionString, """
            ALTER TABLE telemetry_sequences SET (autovacuum_enabled = false);
            ANALYZE telemetry_sequences;
            """, Cancellation);
        (await http.SendReadingAsync(device.DeviceKey, 2, Cancellation)).ShouldBe(HttpStatusCode.Accepted);

        // The fleet grows (as if other replicas had taken the new devices' first readings); no ANALYZE runs meanwhile.
        await Sql.ExecuteAsync(api.DatabaseConnectionString, """
            SET session_replication_role = replica;
            INSERT INTO telemetry_sequences (device_id, first_seq, last_seq, received)
            SELECT gen_random_uuid(), 0, 0, 0 FROM generate_series(1, 20000);
            """, Cancellation);

        // Past the replan interval, the next group plans the claim again.
        await Task.Delay(TimeSpan.FromSeconds(1.5), Cancellation);
        (await http.SendReadingAsync(device.DeviceKey, 3, Cancellation)).ShouldBe(HttpStatusCode.Accepted);
        await Task.Delay(StatisticsDelay, Cancellation);
        var before = await SequentialScansAsync(api.DatabaseConnectionString);

        for (var seq = 4; seq < 9; seq++)
        {
            (await http.SendReadingAsync(device.DeviceKey, seq, Cancellation)).ShouldBe(HttpStatusCode.Accepted);
        }

        await Task.Delay(StatisticsDelay, Cancellation);
        (await SequentialScansAsync(api.DatabaseConnectionString)).ShouldBe(before, "five group commits scanned telemetry_sequences");
        (await http.GetAsOperatorAsync<TelemetrySequenceStats>($"/api/v1/devices/{device.DeviceId}/telemetry/sequence", Cancellation))
            .ShouldBe(new TelemetrySequenceStats(1, 8, 8, 0));
    }

    private static Task<long> SequentialScansAsync(string connectionString) =>
        Sql.ScalarAsync<long>(connectionString, "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'telemetry_sequences'", Cancellation);

    /// <summary>An API with one writer lane that plans again every second.</summary>
    public sealed class Fixture(BackingServers servers) : IAsyncLifetime
    {
        public ApiFactory Api { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Api = await ApiFactory.StartAsync(servers, TestContext.Current.CancellationToken,
            new Dictionary<string, string?> { ["Fleet:Telemetry:WriterLanes"] = "1", ["Fleet:Telemetry:WriterReplanInterval"] = "00:00:01" });

        public async ValueTask DisposeAsync() => await Api.DisposeAsync();
    }
}
