using System.Collections.Concurrent;
using System.Globalization;
using Npgsql;

namespace Fleet.Api.Telemetry;

/// <summary>
/// Day partitions of the telemetry table: created on demand before rows for a new day are written, and
/// dropped once wholly older than the retention, together with the (device, seq) entries of that day. Several replicas may race to create one; the loser's
/// "already exists" is the outcome it wanted.
/// </summary>
public sealed class TelemetryPartitions
{
    private readonly ConcurrentDictionary<DateOnly, bool> _known = new();

    public async Task EnsureAsync(NpgsqlConnection connection, IEnumerable<DateOnly> days, CancellationToken cancellationToken)
    {
        foreach (var day in days.Where(day => !_known.ContainsKey(day)))
        {
            var from = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
            var sql = $"CREATE TABLE IF NOT EXISTS {TelemetrySchema.PartitionName(day)} PARTITION OF {TelemetrySchema.Table} " +
                      $"FOR VALUES FROM ('{from:yyyy-MM-dd}T00:00:00Z') TO ('{from.AddDays(1):yyyy-MM-dd}T00:00:00Z')";
            try
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.UniqueViolation)
            {
                // Another replica created it at the same moment.
            }

            _known[day] = true;
        }
    }

    /// <summary>Drops partitions whose whole day is older than <paramref name="cutoff"/>; returns their names.</summary>
    public async Task<IReadOnlyList<string>> DropOlderThanAsync(NpgsqlDataSource dataSource, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var dropped = new List<string>();
        foreach (var (name, day) in await ListAsync(dataSource, cancellationToken))
        {
            if (day.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) > cutoff.UtcDateTime)
            {
                continue;
            }

            await using var command = dataSource.CreateCommand($"DROP TABLE IF EXISTS {name}");
            await command.ExecuteNonQueryAsync(cancellationToken);
            _known.TryRemove(day, out _);
            dropped.Add(name);
        }

        return dropped;
    }

    public static async Task<IReadOnlyList<(string Name, DateOnly Day)>> ListAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT child.relname FROM pg_inherits
            JOIN pg_class child ON child.oid = pg_inherits.inhrelid
            JOIN pg_class parent ON parent.oid = pg_inherits.inhparent
            WHERE parent.relname = 'telemetry'
            """);
        var partitions = new List<(string, DateOnly)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var name = reader.GetString(0);
            if (name.StartsWith("telemetry_p", StringComparison.Ordinal)
                && DateOnly.TryParseExact(name["telemetry_p".Length..], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                partitions.Add((name, day));
            }
        }

        return partitions;
    }
}
