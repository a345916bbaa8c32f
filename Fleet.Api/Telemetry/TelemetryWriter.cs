using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Fleet.Api.Telemetry;

/// <summary>One metric value of one reading, as stored.</summary>
public readonly record struct TelemetryPoint(Guid DeviceId, long Seq, DateTime Ts, string Metric, double Value);

/// <summary>The telemetry store could not take a batch; the request gets a 503 and the device sends it again.</summary>
public sealed class TelemetryStoreUnavailableException(Exception inner) : Exception("The telemetry store is unavailable.", inner);

/// <summary>
/// Durability: a request is acknowledged (202) only after its points are committed in PostgreSQL.
/// Requests hand their points to this single writer, which groups everything queued into one transaction
/// (group commit): binary COPY into a session staging table, then one statement that admits each
/// (device, seq) once, stores the admitted readings' points in the partitioned table and updates the
/// per-device sequence counters. One long-lived connection keeps the staging table alive.
/// </summary>
public sealed partial class TelemetryWriter(
    NpgsqlDataSource dataSource,
    TelemetryPartitions partitions,
    IOptions<TelemetryOptions> options,
    ILogger<TelemetryWriter> logger) : BackgroundService
{
    public const string ActivitySourceName = "Fleet.Telemetry";
    private static readonly ActivitySource Activities = new(ActivitySourceName);

    private const string CreateStaging = """
        CREATE TEMP TABLE IF NOT EXISTS telemetry_staging (
            device_id uuid, seq bigint, ts timestamptz, metric text, value double precision
        ) ON COMMIT DELETE ROWS
        """;

    // A reading is (device, seq): telemetry_seen admits each once; only admitted readings' points are stored.
    private const string Merge = """
        WITH admitted AS (
            INSERT INTO telemetry_seen (device_id, seq, ts)
            SELECT DISTINCT ON (device_id, seq) device_id, seq, ts FROM telemetry_staging ORDER BY device_id, seq, ts
            ON CONFLICT DO NOTHING
            RETURNING device_id, seq, ts
        ), stored AS (
            INSERT INTO telemetry (device_id, seq, ts, metric, value)
            SELECT DISTINCT ON (s.device_id, s.seq, s.metric) s.device_id, s.seq, s.ts, s.metric, s.value
            FROM telemetry_staging s JOIN admitted a ON a.device_id = s.device_id AND a.seq = s.seq AND a.ts = s.ts
            ON CONFLICT DO NOTHING
        ), per_device AS (
            SELECT device_id, min(seq) AS first_seq, max(seq) AS last_seq, count(*) AS received
            FROM admitted GROUP BY device_id
        )
        INSERT INTO telemetry_sequences AS s (device_id, first_seq, last_seq, received)
        SELECT device_id, first_seq, last_seq, received FROM per_device ORDER BY device_id
        ON CONFLICT (device_id) DO UPDATE SET
            first_seq = LEAST(s.first_seq, EXCLUDED.first_seq),
            last_seq = GREATEST(s.last_seq, EXCLUDED.last_seq),
            received = s.received + EXCLUDED.received
        """;

    private readonly Channel<PendingWrite> _queue = Channel.CreateBounded<PendingWrite>(
        new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private NpgsqlConnection? _connection;

    /// <summary>Completes once the points are committed; throws <see cref="TelemetryStoreUnavailableException"/> if they could not be.</summary>
    public async Task WriteAsync(TelemetryPoint[] points, CancellationToken cancellationToken)
    {
        var pending = new PendingWrite(points);
        await _queue.Writer.WriteAsync(pending, cancellationToken);
        // Once queued the write goes ahead even if the caller gives up; a device resending it is deduplicated.
        await pending.Committed.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<PendingWrite>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                var rows = 0;
                while (rows < options.Value.MaxRowsPerWrite && _queue.Reader.TryRead(out var pending))
                {
                    batch.Add(pending);
                    rows += pending.Points.Length;
                }

                await WriteBatchAsync(batch, rows, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var left))
            {
                left.Committed.TrySetException(new TelemetryStoreUnavailableException(new OperationCanceledException("The API is stopping.")));
            }

            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
    }

    private async Task WriteBatchAsync(List<PendingWrite> batch, int rows, CancellationToken cancellationToken)
    {
        using var activity = Activities.StartActivity("telemetry.write");
        activity?.SetTag("fleet.telemetry.requests", batch.Count);
        activity?.SetTag("fleet.telemetry.points", rows);
        try
        {
            var connection = await ConnectionAsync(cancellationToken);
            await partitions.EnsureAsync(connection, batch.SelectMany(p => p.Points).Select(p => DateOnly.FromDateTime(p.Ts)).Distinct(), cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var importer = await connection.BeginBinaryImportAsync(
                "COPY telemetry_staging (device_id, seq, ts, metric, value) FROM STDIN (FORMAT BINARY)", cancellationToken))
            {
                foreach (var pending in batch)
                {
                    foreach (var point in pending.Points)
                    {
                        await importer.StartRowAsync(cancellationToken);
                        await importer.WriteAsync(point.DeviceId, NpgsqlDbType.Uuid, cancellationToken);
                        await importer.WriteAsync(point.Seq, NpgsqlDbType.Bigint, cancellationToken);
                        await importer.WriteAsync(point.Ts, NpgsqlDbType.TimestampTz, cancellationToken);
                        await importer.WriteAsync(point.Metric, NpgsqlDbType.Text, cancellationToken);
                        await importer.WriteAsync(point.Value, NpgsqlDbType.Double, cancellationToken);
                    }
                }

                await importer.CompleteAsync(cancellationToken);
            }

            await using (var merge = new NpgsqlCommand(Merge, connection, transaction))
            {
                await merge.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            foreach (var pending in batch)
            {
                pending.Committed.TrySetResult();
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or IOException or InvalidOperationException or TimeoutException)
        {
            LogWriteFailed(logger, batch.Count, rows, exception);
            activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
            await ResetConnectionAsync();
            foreach (var pending in batch)
            {
                pending.Committed.TrySetException(new TelemetryStoreUnavailableException(exception));
            }
        }
    }

    private async Task<NpgsqlConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        if (_connection is { State: System.Data.ConnectionState.Open })
        {
            return _connection;
        }

        await ResetConnectionAsync();
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand(CreateStaging, connection))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        _connection = connection;
        return connection;
    }

    private async Task ResetConnectionAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing {Requests} telemetry requests ({Rows} points) failed; they are answered 503")]
    private static partial void LogWriteFailed(ILogger logger, int requests, int rows, Exception exception);

    private sealed record PendingWrite(TelemetryPoint[] Points)
    {
        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
