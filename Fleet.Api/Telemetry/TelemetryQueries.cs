using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Fleet.Api.Telemetry;

/// <summary>Operator reads of stored telemetry: raw history, latest per metric, and time buckets via <c>date_bin</c>.</summary>
public static class TelemetryQueries
{
    public const int MaxHistoryLimit = 10_000;
    private const int MaxBuckets = 10_000;

    private static readonly Dictionary<string, TimeSpan> Windows = new()
    {
        ["1m"] = TimeSpan.FromMinutes(1),
        ["5m"] = TimeSpan.FromMinutes(5),
        ["1h"] = TimeSpan.FromHours(1),
        ["1d"] = TimeSpan.FromDays(1),
    };

    public static RouteGroupBuilder MapTelemetryQueries(this RouteGroupBuilder devices)
    {
        devices.MapGet("/{id:guid}/telemetry", HistoryAsync).WithSummary("Stored points, newest first, in a time range.");
        devices.MapGet("/{id:guid}/telemetry/latest", LatestAsync).WithSummary("The newest value of each metric.");
        devices.MapGet("/{id:guid}/telemetry/aggregated", AggregatedAsync).WithSummary("avg/min/max/count per window (1m, 5m, 1h, 1d).");
        return devices;
    }

    public static async Task<Results<Ok<TelemetryHistoryResponse>, ValidationProblem, NotFound>> HistoryAsync(
        Guid id, string? metric, DateTimeOffset? from, DateTimeOffset? to, int? limit,
        FleetDbContext db, NpgsqlDataSource dataSource, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (start, end, errors) = Range(from, to, clock, TimeSpan.FromHours(1));
        if (limit is < 1 or > MaxHistoryLimit)
        {
            errors["limit"] = [$"must be from 1 to {MaxHistoryLimit}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (!await db.DeviceExistsAsync(id, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        await using var command = dataSource.CreateCommand("""
            SELECT t.seq, t.ts, m.metric, m.value
            FROM telemetry t CROSS JOIN LATERAL unnest(t.metric_names, t.metric_values) AS m(metric, value)
            WHERE t.device_id = $1 AND t.ts >= $2 AND t.ts < $3 AND ($4::text IS NULL OR m.metric = $4)
            ORDER BY t.ts DESC, m.metric LIMIT $5
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = start });
        command.Parameters.Add(new NpgsqlParameter { Value = end });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)metric ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = limit ?? 1000 });
        var items = new List<TelemetryValue>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new TelemetryValue(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), reader.GetDouble(3)));
        }

        return TypedResults.Ok(new TelemetryHistoryResponse(items, items.Count));
    }

    public static async Task<Results<Ok<IReadOnlyList<LatestMetric>>, NotFound>> LatestAsync(
        Guid id, FleetDbContext db, NpgsqlDataSource dataSource, TimeProvider clock, IOptions<TelemetryOptions> options, CancellationToken cancellationToken)
    {
        if (!await db.DeviceExistsAsync(id, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        // Only partitions that can hold accepted readings are searched.
        await using var command = dataSource.CreateCommand("""
            SELECT DISTINCT ON (m.metric) m.metric, t.ts, m.value
            FROM telemetry t CROSS JOIN LATERAL unnest(t.metric_names, t.metric_values) AS m(metric, value)
            WHERE t.device_id = $1 AND t.ts >= $2
            ORDER BY m.metric, t.ts DESC
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() - options.Value.MaxPast });
        var items = new List<LatestMetric>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new LatestMetric(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetDouble(2)));
        }

        return TypedResults.Ok<IReadOnlyList<LatestMetric>>(items);
    }

    public static async Task<Results<Ok<TelemetryAggregatedResponse>, ValidationProblem, NotFound>> AggregatedAsync(
        Guid id, string? metric, string? window, DateTimeOffset? from, DateTimeOffset? to,
        FleetDbContext db, NpgsqlDataSource dataSource, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (start, end, errors) = Range(from, to, clock, TimeSpan.FromHours(24));
        if (string.IsNullOrWhiteSpace(metric))
        {
            errors["metric"] = ["is required."];
        }

        var windowName = window ?? "5m";
        if (!Windows.TryGetValue(windowName, out var width))
        {
            errors["window"] = [$"must be one of {string.Join(", ", Windows.Keys)}."];
        }
        else if (errors.Count == 0 && (end - start) / width > MaxBuckets)
        {
            errors["window"] = [$"gives more than {MaxBuckets} buckets for this range; choose a wider window or a shorter range."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (!await db.DeviceExistsAsync(id, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        await using var command = dataSource.CreateCommand("""
            SELECT date_bin($4, ts, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, avg(value), min(value), max(value), count(*)
            FROM (
                SELECT ts, metric_values[array_position(metric_names, $2)] AS value FROM telemetry
                WHERE device_id = $1 AND ts >= $3 AND ts < $5 AND metric_names @> ARRAY[$2]
            ) readings
            GROUP BY bucket ORDER BY bucket
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = metric });
        command.Parameters.Add(new NpgsqlParameter { Value = start });
        command.Parameters.Add(new NpgsqlParameter { Value = width });
        command.Parameters.Add(new NpgsqlParameter { Value = end });
        var items = new List<TelemetryBucket>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new TelemetryBucket(reader.GetFieldValue<DateTimeOffset>(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetInt64(4)));
        }

        return TypedResults.Ok(new TelemetryAggregatedResponse(metric!, windowName, items, items.Count));
    }

    /// <summary>[from, to) in UTC: defaults to the last <paramref name="span"/>; from must precede to, both within 1970..9999.</summary>
    private static (DateTimeOffset Start, DateTimeOffset End, Dictionary<string, string[]> Errors) Range(
        DateTimeOffset? from, DateTimeOffset? to, TimeProvider clock, TimeSpan span)
    {
        var errors = new Dictionary<string, string[]>();
        foreach (var (name, value) in new[] { ("from", from), ("to", to) })
        {
            if (value < DateTimeOffset.UnixEpoch || value > DateTimeOffset.MaxValue - TimeSpan.FromDays(1))
            {
                errors[name] = ["must be a time from 1970 to 9999."];
            }
        }

        if (errors.Count > 0)
        {
            return (default, default, errors);
        }

        // PostgreSQL's timestamptz takes UTC only from Npgsql: an offset given in the query is converted, not refused.
        var end = to?.ToUniversalTime() ?? clock.GetUtcNow();
        var start = from?.ToUniversalTime() ?? end - span;
        if (start >= end)
        {
            errors["from"] = ["must be before to."];
        }

        return (start, end, errors);
    }
}
