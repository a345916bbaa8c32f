using System.Diagnostics;
using System.Threading.Channels;
using Fleet.Api.Infrastructure;
using Fleet.Api.Stats;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;

namespace Fleet.Api.Telemetry;

/// <summary>The telemetry store could not take a batch; the request gets a 503 and the device sends it again.</summary>
public sealed class TelemetryStoreUnavailableException(Exception inner) : Exception("The telemetry store is unavailable.", inner);

/// <summary>
/// Durability: with <see cref="TelemetryAcknowledgement.Committed"/> (the default) a request is acknowledged (202) only
/// after its points are committed in PostgreSQL: requests hand their readings to this writer already encoded as binary
/// COPY tuples (<see cref="EncodedReadings"/>), and it groups everything queued into one transaction (group commit).
/// With <see cref="TelemetryAcknowledgement.Logged"/> requests are acknowledged once in the <see cref="TelemetryLog"/>,
/// and the lanes take their groups from there instead (TelemetryWriter.Log.cs).
/// Usually no reading of the group was stored before: binary COPY straight into the partitioned table, then one round trip in which each device claims the group's seqs on its telemetry_sequences row and the
/// transaction commits. When a seq clashes (a re-sent reading), the claim raises, that transaction is rolled back and the group takes the staging path:
/// binary COPY into a session staging table, then one statement that admits each (device, seq) once against the
/// device's stored seqs, stores the admitted readings (one row per reading) and updates the per-device seqs.
/// Each lane's long-lived connection keeps its staging table alive.
/// </summary>
public sealed partial class TelemetryWriter(
    NpgsqlDataSource dataSource,
    TelemetryPartitions partitions,
    TelemetryMetrics metrics,
    TelemetryLog log,
    IngestCounter ingest,
    IOptions<TelemetryOptions> options,
    IOptions<FleetOptions> fleet,
    ILogger<TelemetryWriter> logger) : BackgroundService
{
    public const string ActivitySourceName = "Fleet.Telemetry";

    /// <summary>One span per group commit; in volume, so the API budgets these traces (<see cref="TraceBudgetSampler"/>).</summary>
    public const string WriteSpanName = "telemetry.write";
    private static readonly ActivitySource Activities = new(ActivitySourceName);

    // Each lane's session: its staging table, and one generic plan for the claim and the merge. Left to choose, PostgreSQL
    // plans their CTEs again on every execution (a custom plan per set of arrays), about a tenth of the lane's time.
    // The session's seq_clash function raises a unique violation when a group's seq was stored before, so the claim can
    // be sent together with its COMMIT: a clash aborts the transaction and the COMMIT is never reached.
    private const string PrepareSession = """
        CREATE TEMP TABLE IF NOT EXISTS telemetry_staging (
            device_id uuid, seq bigint, ts timestamptz, metric_names text[], metric_values double precision[]
        ) ON COMMIT DELETE ROWS;
        CREATE OR REPLACE FUNCTION pg_temp.seq_clash(clashes bigint) RETURNS bigint LANGUAGE plpgsql AS $$
        BEGIN
            IF clashes > 0 THEN
                RAISE unique_violation USING MESSAGE = 'a seq of this group was stored before';
            END IF;
            RETURN clashes;
        END $$;
        SET plan_cache_mode = force_generic_plan;
        """;

    // A reading is (device, seq). Each device's row in telemetry_sequences holds the seqs it has stored as one
    // int8multirange (a device counting up keeps a single range, a gap splits it), so admitting a reading is a
    // containment test on one row per device, not an index insert per reading. Both paths lock the group's devices'
    // rows in device order, so concurrent lanes and replicas take turns per device and never admit a seq twice. The
    // staging path first makes sure every device of the group has its row ($1: the group's devices; waiting on a
    // concurrent transaction that is creating it); the direct path's claim creates them itself.
    private const string EnsureSequences = """
        INSERT INTO telemetry_sequences (device_id, first_seq, last_seq, received)
        SELECT device_id, 0, 0, 0 FROM unnest($1::uuid[]) AS r(device_id) ORDER BY device_id
        ON CONFLICT (device_id) DO NOTHING
        """;

    // Both paths add a group's seqs (row i: first_seq, last_seq, received, seen) to a device's row s the same way.
    private static string AddSeqs(string i) => $"""
        first_seq = CASE WHEN s.received = 0 THEN {i}.first_seq ELSE LEAST(s.first_seq, {i}.first_seq) END,
                last_seq = CASE WHEN s.received = 0 THEN {i}.last_seq ELSE GREATEST(s.last_seq, {i}.last_seq) END,
                received = s.received + {i}.received,
                seen = s.seen + {i}.seen
        """;

    // Data-modifying CTEs run whether or not the final SELECT reads them; it returns what was admitted and stored.
    private static readonly string Merge = $$"""
        WITH known AS (
            SELECT device_id, seen FROM telemetry_sequences
            WHERE device_id IN (SELECT device_id FROM telemetry_staging)
            ORDER BY device_id FOR UPDATE
        ), admitted AS (
            SELECT DISTINCT ON (s.device_id, s.seq) s.device_id, s.seq, s.ts, s.metric_names, s.metric_values
            FROM telemetry_staging s JOIN known k ON k.device_id = s.device_id
            WHERE NOT k.seen @> s.seq
            ORDER BY s.device_id, s.seq, s.ts
        ), stored AS (
            INSERT INTO telemetry (device_id, seq, ts, metric_names, metric_values)
            SELECT device_id, seq, ts, metric_names, metric_values FROM admitted
            RETURNING cardinality(metric_names) AS points
        ), per_device AS (
            SELECT device_id, min(seq) AS first_seq, max(seq) AS last_seq, count(*) AS received,
                   range_agg(int8range(seq, seq, '[]')) AS seen
            FROM admitted GROUP BY device_id
        ), sequences AS (
            UPDATE telemetry_sequences AS s SET {{AddSeqs("i")}}
            FROM per_device i WHERE s.device_id = i.device_id
        )
        SELECT (SELECT count(*) FROM admitted), (SELECT coalesce(sum(points), 0) FROM stored)
        """;

    // The direct path: the readings are copied straight into telemetry, then each device claims the group's seqs on its
    // row. The seqs come as runs of consecutive numbers ($1 device, $2 first and $3 last seq per run; the writer has made
    // sure runs of one device do not overlap), so this is work per run, not per reading. One upsert, in device order,
    // creates a new device's row or locks an existing one (waiting on a concurrent transaction that holds it) and adds the
    // seqs only where none was stored before; a device left out of the returned rows clashed, and seq_clash raises: the
    // writer rolls the copy back and takes the staging path, which admits seq by seq.
    private static readonly string Claim = $$"""
        WITH incoming AS (
            SELECT device_id, min(first) AS first_seq, max(last) AS last_seq, sum(last - first + 1)::int8 AS received,
                   range_agg(int8range(first, last, '[]')) AS seen
            FROM unnest($1::uuid[], $2::int8[], $3::int8[]) AS r(device_id, first, last) GROUP BY device_id
        ), claimed AS (
            INSERT INTO telemetry_sequences AS s (device_id, first_seq, last_seq, received, seen)
            SELECT device_id, first_seq, last_seq, received, seen FROM incoming ORDER BY device_id
            ON CONFLICT (device_id) DO UPDATE SET {{AddSeqs("excluded")}}
            WHERE NOT s.seen && excluded.seen
            RETURNING 1
        )
        SELECT pg_temp.seq_clash((SELECT count(*) FROM incoming) - (SELECT count(*) FROM claimed))
        """;

    private readonly Channel<PendingWrite> _queue = Channel.CreateBounded<PendingWrite>(
        new BoundedChannelOptions(10_000) { SingleReader = false, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Requests waiting for the writer, for the queue-depth gauge.</summary>
    public int QueueDepth => _queue.Reader.Count;

    /// <summary>
    /// Completes once the readings are committed; throws <see cref="TelemetryStoreUnavailableException"/> if they could not be.
    /// The writer owns <paramref name="readings"/> from here on and disposes it when done.
    /// </summary>
    public async Task WriteAsync(EncodedReadings readings, CancellationToken cancellationToken)
    {
        var pending = new PendingWrite(readings);
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken);
        }
        catch
        {
            readings.Dispose();
            throw;
        }

        // Once queued the write goes ahead even if the caller gives up; a device resending it is deduplicated.
        await pending.Committed.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Several lanes, each with its own connection, take batches from the one queue, so one lane copies while another
    /// waits for its commit to reach the disk. Concurrent lanes are as safe as concurrent replicas: the per-device row lock in
    /// the merge admits a (device, seq) once whichever commits first.
    /// </summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        metrics.ObserveQueueDepth(() => QueueDepth);
        try
        {
            var logged = options.Value.Acknowledge == TelemetryAcknowledgement.Logged;
            await Task.WhenAll(Enumerable.Range(0, options.Value.WriterLanes)
                .Select(lane => logged ? RunLoggedLaneAsync(lane, stoppingToken) : RunLaneAsync(stoppingToken)));
        }
        finally
        {
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var left))
            {
                left.Committed.TrySetException(new TelemetryStoreUnavailableException(new OperationCanceledException("The API is stopping.")));
                left.Readings.Dispose();
            }
        }
    }

    private async Task RunLaneAsync(CancellationToken stoppingToken)
    {
        var lane = new Lane(options.Value.WriterReplanInterval, fleet.Value.DeviceStoreTimeout);
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
                    rows += pending.Readings.Readings;
                }

                if (batch.Count > 0)
                {
                    try
                    {
                        var failure = await WriteBatchAsync(lane, batch, rows, stoppingToken);
                        foreach (var pending in batch)
                        {
                            _ = failure is null ? pending.Committed.TrySetResult() : pending.Committed.TrySetException(failure);
                        }
                    }
                    finally
                    {
                        batch.ForEach(pending => pending.Readings.Dispose());
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await lane.ResetAsync();
        }
    }

    /// <summary>One group commit; null when it is committed, else why not (the lane's connection is reset).</summary>
    private async Task<TelemetryStoreUnavailableException?> WriteBatchAsync(Lane lane, List<PendingWrite> batch, int rows, CancellationToken cancellationToken)
    {
        using var activity = Activities.StartActivity(WriteSpanName);
        activity?.SetTag("fleet.telemetry.requests", batch.Count);
        activity?.SetTag("fleet.telemetry.readings", rows);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var (admitted, storedPoints, direct) = await StoreAsync(lane, batch, traced: activity is not null, cancellationToken);
            activity?.SetTag("fleet.telemetry.path", direct ? "direct" : "staging");
            metrics.Written(rows, admitted, storedPoints, direct, Stopwatch.GetElapsedTime(started));
            // Counted once per group commit, and only what was new: duplicates and refused batches are not ingest.
            ingest.Stored(storedPoints);
            return null;
        }
        catch (Exception exception) when (exception is NpgsqlException or IOException or InvalidOperationException or TimeoutException)
        {
            LogWriteFailed(logger, batch.Count, rows, exception);
            activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
            await lane.ResetAsync();
            return new TelemetryStoreUnavailableException(exception);
        }
    }

    /// <summary>The group's database work: the direct path, or the staging path when a seq clashes.</summary>
    private async Task<(long Admitted, long StoredPoints, bool Direct)> StoreAsync(Lane lane, List<PendingWrite> batch, bool traced, CancellationToken cancellationToken)
    {
        // A group commit left out of the traces leaves its database calls out too, or each would be a trace of its own.
        // Only these calls: the scope also silences log records, and the caller logs a failure.
        using var untraced = traced ? null : SuppressInstrumentationScope.Begin();
        var statements = await lane.OpenAsync(dataSource, cancellationToken);
        var keys = GroupKeys.Of(batch);
        await partitions.EnsureAsync(statements.Connection, keys.Days, cancellationToken);
        if (await TryDirectAsync(statements, batch, keys, metrics, cancellationToken) is { } direct)
        {
            return (direct.Admitted, direct.StoredPoints, true);
        }

        var (admitted, storedPoints) = await MergeAsync(statements, batch, keys, metrics, cancellationToken);
        return (admitted, storedPoints, false);
    }

    /// <summary>
    /// The common case, a batch of readings never stored before: COPY straight into telemetry, then claim the seqs and
    /// commit in one round trip; null (rolled back, nothing stored) when a seq clashes, for <see cref="MergeAsync"/> to sort out.
    /// </summary>
    private static async Task<(long Admitted, long StoredPoints)?> TryDirectAsync(LaneStatements statements, List<PendingWrite> batch, GroupKeys keys, TelemetryMetrics metrics, CancellationToken cancellationToken)
    {
        if (keys.RepeatsSeq)
        {
            return null;
        }

        await using var transaction = await statements.Connection.BeginTransactionAsync(cancellationToken);
        try
        {
            using (Activities.StartActivity("telemetry.copy"))
            {
                await CopyAsync(statements.Connection, TelemetrySchema.Table, batch, direct: true, metrics, cancellationToken);
            }

            var claimed = Stopwatch.GetTimestamp();
            statements.ClaimAndCommit.Transaction = transaction;
            statements.ClaimAndCommit.BatchCommands[0].Parameters[0].Value = keys.RunDevices;
            statements.ClaimAndCommit.BatchCommands[0].Parameters[1].Value = keys.RunFirsts;
            statements.ClaimAndCommit.BatchCommands[0].Parameters[2].Value = keys.RunLasts;
            await statements.ClaimAndCommit.ExecuteNonQueryAsync(cancellationToken);
            metrics.Phase(direct: true, WritePhase.Commit, Stopwatch.GetElapsedTime(claimed));
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // The claim found a seq stored before, or a reading re-sent as it was (same device, ts and seq) met its row in
            // telemetry during the COPY; either way the transaction is aborted and the COMMIT was not run.
            await transaction.RollbackAsync(cancellationToken);
            return null;
        }

        return (keys.Readings, keys.Points);
    }

    /// <summary>The staging path: COPY into the session's staging table, then admit each (device, seq) once.</summary>
    private static async Task<(long Admitted, long StoredPoints)> MergeAsync(LaneStatements statements, List<PendingWrite> batch, GroupKeys keys, TelemetryMetrics metrics, CancellationToken cancellationToken)
    {
        await using var transaction = await statements.Connection.BeginTransactionAsync(cancellationToken);
        using (Activities.StartActivity("telemetry.copy"))
        {
            await CopyAsync(statements.Connection, "telemetry_staging", batch, direct: false, metrics, cancellationToken);
        }

        var merged = Stopwatch.GetTimestamp();
        long admitted, storedPoints;
        statements.Merge.Transaction = transaction;
        statements.Merge.BatchCommands[0].Parameters[0].Value = keys.Devices;
        await using (var reader = await statements.Merge.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            (admitted, storedPoints) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        await transaction.CommitAsync(cancellationToken);
        metrics.Phase(direct: false, WritePhase.Commit, Stopwatch.GetElapsedTime(merged));
        return (admitted, storedPoints);
    }

    /// <summary>
    /// One binary COPY of the group's readings, each request's tuples written as they were encoded. Its two phases are
    /// timed apart: starting a COPY is a round trip with a fixed cost on the server, taking the rows a cost per row.
    /// </summary>
    private static async Task CopyAsync(NpgsqlConnection connection, string table, List<PendingWrite> batch, bool direct, TelemetryMetrics metrics, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        long copying;
        await using (var copy = await connection.BeginRawBinaryCopyAsync(
            $"COPY {table} (device_id, seq, ts, metric_names, metric_values) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            copying = Stopwatch.GetTimestamp();
            metrics.Phase(direct, WritePhase.CopyStart, Stopwatch.GetElapsedTime(started, copying));
            await copy.WriteAsync(EncodedReadings.CopyHeader, cancellationToken);
            foreach (var pending in batch)
            {
                await copy.WriteAsync(pending.Readings.Tuples, cancellationToken);
            }

            await copy.WriteAsync(EncodedReadings.CopyTrailer, cancellationToken);
        }

        metrics.Phase(direct, WritePhase.Copy, Stopwatch.GetElapsedTime(copying));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing {Requests} telemetry requests ({Rows} readings) failed; they are answered 503")]
    private static partial void LogWriteFailed(ILogger logger, int requests, int rows, Exception exception);

    private sealed record PendingWrite(EncodedReadings Readings)
    {
        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// What both paths need of a group, gathered in one pass over its requests: the devices, each device's seq runs
    /// (device, first, last per run), readings, points and days. <see cref="RepeatsSeq"/>: some seq comes twice in the
    /// group (in one request, or in two requests of one device), so the group goes straight to the staging path.
    /// </summary>
    private sealed record GroupKeys(Guid[] Devices, Guid[] RunDevices, long[] RunFirsts, long[] RunLasts, int Readings, long Points, HashSet<DateOnly> Days, bool RepeatsSeq)
    {
        public static GroupKeys Of(List<PendingWrite> batch)
        {
            var runsByDevice = new Dictionary<Guid, List<(long First, long Last)>>();
            var (readings, points, repeats, days) = (0, 0L, false, new HashSet<DateOnly>());
            foreach (var encoded in batch.Select(pending => pending.Readings))
            {
                if (!runsByDevice.TryGetValue(encoded.DeviceId, out var runs))
                {
                    runsByDevice[encoded.DeviceId] = runs = [];
                }

                runs.AddRange(encoded.SeqRanges);
                days.UnionWith(encoded.Days);
                (readings, points, repeats) = (readings + encoded.Readings, points + encoded.Points, repeats || encoded.RepeatsSeq);
            }

            var (runDevices, firsts, lasts) = (new List<Guid>(batch.Count), new List<long>(batch.Count), new List<long>(batch.Count));
            foreach (var (device, runs) in runsByDevice)
            {
                runs.Sort();
                var reached = -1L;
                foreach (var (first, last) in runs)
                {
                    repeats |= first <= reached;
                    reached = Math.Max(reached, last);
                    runDevices.Add(device);
                    firsts.Add(first);
                    lasts.Add(last);
                }
            }

            return new GroupKeys([.. runsByDevice.Keys], [.. runDevices], [.. firsts], [.. lasts], readings, points, days, repeats);
        }
    }

    /// <summary>A lane's connection and its two prepared statements (batches); the first ends with the COMMIT.</summary>
    private sealed record LaneStatements(NpgsqlConnection Connection, NpgsqlBatch ClaimAndCommit, NpgsqlBatch Merge);

    /// <summary>
    /// One lane's long-lived connection: its session holds the staging table, and the claim and the merge are prepared
    /// on it once, so a group commit does not plan them again. A generic plan keeps the row counts of when it was made,
    /// though: planned while telemetry_sequences held a handful of rows, the claim hash-joins a full scan of that table,
    /// and goes on scanning every device's row per group as the fleet grows to thousands. So every
    /// <paramref name="replanInterval"/> the lane drops its plans (DISCARD PLANS keeps the prepared statements) and the
    /// next group plans them again for the tables as they are.
    /// </summary>
    private sealed class Lane(TimeSpan replanInterval, TimeSpan openTimeout)
    {
        private LaneStatements? _open;
        private long _plannedAt;

        public async Task<LaneStatements> OpenAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
        {
            if (_open is { Connection.State: System.Data.ConnectionState.Open } open)
            {
                if (Stopwatch.GetElapsedTime(_plannedAt) >= replanInterval)
                {
                    await using var discard = new NpgsqlCommand("DISCARD PLANS", open.Connection);
                    await discard.ExecuteNonQueryAsync(cancellationToken);
                    _plannedAt = Stopwatch.GetTimestamp();
                }

                return open;
            }

            await ResetAsync();
            var connection = await OpenConnectionAsync(dataSource, cancellationToken);
            try
            {
                await using (var create = new NpgsqlCommand(PrepareSession, connection))
                {
                    await create.ExecuteNonQueryAsync(cancellationToken);
                }

                var claim = new NpgsqlBatch(connection)
                {
                    BatchCommands =
                    {
                        new(Claim) { Parameters = { new NpgsqlParameter<Guid[]>(), new NpgsqlParameter<long[]>(), new NpgsqlParameter<long[]>() } },
                        new("COMMIT"),
                    },
                };
                var merge = new NpgsqlBatch(connection)
                {
                    BatchCommands = { new(EnsureSequences) { Parameters = { new NpgsqlParameter<Guid[]>() } }, new(Merge) },
                };
                await claim.PrepareAsync(cancellationToken);
                await merge.PrepareAsync(cancellationToken);
                _open = new LaneStatements(connection, claim, merge);
                _plannedAt = Stopwatch.GetTimestamp();
                return _open;
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }

        /// <summary>
        /// A new connection within <paramref name="openTimeout"/>: the driver may not give up a connection attempt to a
        /// server that never answers, and the requests of the group wait for it; a connection that opens too late is closed.
        /// </summary>
        private async Task<NpgsqlConnection> OpenConnectionAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
        {
            var opening = dataSource.OpenConnectionAsync(cancellationToken).AsTask();
            try
            {
                return await opening.WaitAsync(openTimeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                _ = opening.ContinueWith(static async late =>
                {
                    if (late.IsCompletedSuccessfully)
                    {
                        await late.Result.DisposeAsync();
                    }
                    else
                    {
                        _ = late.Exception;
                    }
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                throw;
            }
        }

        public async Task ResetAsync()
        {
            if (_open is { } open)
            {
                _open = null;
                await open.ClaimAndCommit.DisposeAsync();
                await open.Merge.DisposeAsync();
                await open.Connection.DisposeAsync();
            }
        }
    }
}
