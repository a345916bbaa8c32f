using Fleet.Api.Infrastructure;
using Fleet.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Fleet.Tests.Telemetry;

/// <summary>Schema changes to telemetry convert what is stored; an upgrade loses no reading.</summary>
public sealed class TelemetryMigrationTests(BackingServers servers)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Point_rows_become_one_row_per_reading_with_every_value_kept()
    {
        var connectionString = await servers.CreateDatabaseAsync("migration", Cancellation);
        await using var db = new FleetDbContext(new DbContextOptionsBuilder<FleetDbContext>()
            .UseNpgsql(connectionString).UseSnakeCaseNamingConvention().Options);
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync("20261123031715_AddDeviceStatus", Cancellation);

        var deviceId = Guid.NewGuid();
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO devices (id, serial, type, hardware_revision, region, environment, tags, lifecycle, created_at)
            VALUES ({deviceId}, 'MIG-1', 'meter', 'rev-a', 'eu-west', 'blue', ARRAY[]::text[], 'Active', now());
            CREATE TABLE telemetry_p20261120 PARTITION OF telemetry FOR VALUES FROM ('2026-11-20T00:00:00Z') TO ('2026-11-21T00:00:00Z');
            CREATE TABLE telemetry_p20261121 PARTITION OF telemetry FOR VALUES FROM ('2026-11-21T00:00:00Z') TO ('2026-11-22T00:00:00Z');
            INSERT INTO telemetry (device_id, seq, ts, metric, value) VALUES
                ({deviceId}, 1, '2026-11-20T10:00:00Z', 'temperature', 21.5),
                ({deviceId}, 1, '2026-11-20T10:00:00Z', 'humidity', 40),
                ({deviceId}, 2, '2026-11-21T10:00:00Z', 'temperature', 22.5);
            """, Cancellation);

        await migrator.MigrateAsync(cancellationToken: Cancellation);

        (await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM telemetry", Cancellation)).ShouldBe(2);
        (await Sql.ScalarAsync<double>(connectionString,
            "SELECT metric_values[array_position(metric_names, 'humidity')] FROM telemetry WHERE seq = 1", Cancellation)).ShouldBe(40);
        (await Sql.ScalarAsync<long>(connectionString,
            "SELECT count(*) FROM pg_inherits JOIN pg_class p ON p.oid = inhparent JOIN pg_class c ON c.oid = inhrelid WHERE p.relname = 'telemetry' AND c.relname LIKE 'telemetry_p2026112_'",
            Cancellation)).ShouldBe(2);
        (await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM pg_class WHERE relname LIKE '%telemetry_points%'", Cancellation)).ShouldBe(0);
    }

    [Fact]
    public async Task Seqs_already_stored_become_each_devices_seen_ranges_and_stay_refused()
    {
        var connectionString = await servers.CreateDatabaseAsync("migration_seen", Cancellation);
        await using var db = new FleetDbContext(new DbContextOptionsBuilder<FleetDbContext>()
            .UseNpgsql(connectionString).UseSnakeCaseNamingConvention().Options);
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync("20261123171601_GateHealthSignals", Cancellation);

        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO devices (id, serial, type, hardware_revision, region, environment, tags, lifecycle, created_at) VALUES
                ({first}, 'MIG-SEEN-1', 'meter', 'rev-a', 'eu-west', 'blue', ARRAY[]::text[], 'Active', now()),
                ({second}, 'MIG-SEEN-2', 'meter', 'rev-a', 'eu-west', 'blue', ARRAY[]::text[], 'Active', now());
            INSERT INTO telemetry_seen (device_id, seq, ts)
            SELECT {first}, s, now() FROM unnest(ARRAY[1, 2, 3, 7, 8]) AS s
            UNION ALL SELECT {second}, 5, now();
            INSERT INTO telemetry_sequences (device_id, first_seq, last_seq, received) VALUES ({first}, 1, 8, 5), ({second}, 5, 5, 1);
            """, Cancellation);

        await migrator.MigrateAsync(cancellationToken: Cancellation);

        (await Sql.ScalarAsync<string>(connectionString, "SELECT seen::text FROM telemetry_sequences WHERE device_id = $1", Cancellation, first))
            .ShouldBe("{[1,4),[7,9)}");
        (await Sql.ScalarAsync<string>(connectionString, "SELECT seen::text FROM telemetry_sequences WHERE device_id = $1", Cancellation, second))
            .ShouldBe("{[5,6)}");
        (await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM pg_class WHERE relname = 'telemetry_seen'", Cancellation)).ShouldBe(0);
    }
}
