using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;

namespace Fleet.MqttBench;

/// <summary>
/// Publish → queryable for a sample of messages: one connection asks PostgreSQL every <see cref="PollInterval"/> which of
/// the sampled (device, seq) the telemetry table holds, all pending ones in one query. A message's time is counted up to
/// the start of the query that first returned it, so it reads high by at most one interval plus a query's time.
/// </summary>
internal sealed class QueryableProbe(string connectionString, DateTimeOffset since)
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    private const string Stored = """
        SELECT p.i FROM unnest($1::uuid[], $2::int8[]) WITH ORDINALITY AS p(d, s, i)
        WHERE EXISTS (SELECT 1 FROM telemetry t WHERE t.device_id = p.d AND t.ts >= $3 AND t.seq = p.s)
        """;

    private readonly ConcurrentQueue<Sample> _incoming = new();
    private readonly List<Sample> _pending = [];
    private readonly List<double> _latencies = [];

    private sealed record Sample(Guid Device, long Seq, long StartedTimestamp);

    /// <summary>Follows a message sent (or due) at <paramref name="startedTimestamp"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public void Add(Guid device, long seq, long startedTimestamp) => _incoming.Enqueue(new Sample(device, seq, startedTimestamp));

    public int Pending => _pending.Count + _incoming.Count;

    /// <summary>Polls until <paramref name="cancellationToken"/> stops it, then leaves what was not seen as missing.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var query = new NpgsqlCommand(Stored, connection);
        var (devices, seqs, from) = (query.Parameters.Add(new NpgsqlParameter()), query.Parameters.Add(new NpgsqlParameter()), query.Parameters.Add(new NpgsqlParameter { Value = since }));
        while (!cancellationToken.IsCancellationRequested)
        {
            while (_incoming.TryDequeue(out var sample))
            {
                _pending.Add(sample);
            }

            if (_pending.Count > 0)
            {
                var asked = Stopwatch.GetTimestamp();
                devices.Value = _pending.Select(p => p.Device).ToArray();
                seqs.Value = _pending.Select(p => p.Seq).ToArray();
                var found = new HashSet<int>();
                try
                {
                    await using var reader = await query.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        found.Add((int)reader.GetInt64(0) - 1);
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                lock (_latencies)
                {
                    _latencies.AddRange(found.Select(i => Stopwatch.GetElapsedTime(_pending[i].StartedTimestamp, asked).TotalMilliseconds));
                }

                var unseen = _pending.Where((_, i) => !found.Contains(i)).ToList();
                _pending.Clear();
                _pending.AddRange(unseen);
            }

            try
            {
                await Task.Delay(PollInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>The latencies seen, ascending, and how many samples were never seen.</summary>
    public (double[] Sorted, int Missing) Result()
    {
        lock (_latencies)
        {
            return ([.. _latencies.Order()], Pending);
        }
    }
}
