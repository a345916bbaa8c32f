using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.Bench;
using Fleet.IngestBench;
using Npgsql;
using NpgsqlTypes;

// Sustained end-to-end ingest against a running AppHost (found through apphost.json), then the raw COPY
// ceiling for rows of the same shape on the same PostgreSQL, so the result reads as a share of the ceiling.
var options = BenchOptions.Parse(args);
var app = RunningApp.Load(options.StateDirectory);
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency }) { BaseAddress = new Uri(app.ApiUrl), Timeout = TimeSpan.FromSeconds(30) };
var run = Guid.NewGuid().ToString("N")[..8];

Console.WriteLine($"registering {options.Devices} devices ...");
var keys = new string[options.Devices];
var ids = new Guid[options.Devices];
await Parallel.ForAsync(0, options.Devices, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
{
    using var response = await http.PostAsJsonAsync(FleetHttp.RegisterRoute,
        new RegisterDeviceRequest(app.EnrollmentToken, $"BENCH-{run}-{i:D6}", "meter", "rev-a", "eu-west"), ct);
    var registered = (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RegisterDeviceResponse>(ct))!;
    (keys[i], ids[i]) = (registered.DeviceKey, registered.DeviceId);
});

var seqs = new long[options.Devices];
var metricNames = Enumerable.Range(0, options.Metrics).Select(m => $"m{m}").ToArray();
var load = new LoadResult();
var next = -1;

async Task<(HttpResponseMessage Response, double Milliseconds)> SendAsync(int device)
{
    var firstSeq = Interlocked.Add(ref seqs[device], options.Readings) - options.Readings + 1;
    var body = TelemetryBody.Write(metricNames, firstSeq, options.Readings, DateTimeOffset.UtcNow);
    using var request = new HttpRequestMessage(HttpMethod.Post, FleetHttp.TelemetryRoute) { Content = new ReadOnlyMemoryContent(body) };
    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, keys[device]);
    var started = Stopwatch.GetTimestamp();
    var response = await http.SendAsync(request);
    return (response, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
}

// Requests slower than this are listed by when they were sent, so a stall shows as a cluster at one moment.
const double SlowMs = 250;
var slow = new System.Collections.Concurrent.ConcurrentBag<(double SentAtSeconds, double Ms)>();

// With --rate, request k is due at paceFrom + k / (requests per second), whoever sends it, and its latency counts from
// then: a request that starts late because every sender was still waiting for an answer counts the wait too.
var paceFrom = 0L;
var ticksPerRequest = options.Rate > 0 ? Stopwatch.Frequency * (double)options.Readings * options.Metrics / options.Rate : 0;

async Task WorkerAsync(DateTime measureFrom, DateTime stopAt, List<double> latencies)
{
    while (DateTime.UtcNow < stopAt)
    {
        var ticket = Interlocked.Increment(ref next);
        var device = (int)((uint)ticket % (uint)options.Devices);
        var due = paceFrom + (long)(ticket * ticksPerRequest);
        if (options.Rate > 0 && Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due) is { TotalMilliseconds: > 0 } early)
        {
            await Task.Delay(early);
        }

        var (response, elapsed) = await SendAsync(device);
        elapsed = options.Rate > 0 ? Stopwatch.GetElapsedTime(due).TotalMilliseconds : elapsed;
        using (response)
        {
            if (DateTime.UtcNow < measureFrom)
            {
                continue;
            }

            latencies.Add(elapsed);
            if (elapsed >= SlowMs)
            {
                slow.Add(((DateTime.UtcNow - measureFrom).TotalSeconds - (elapsed / 1000), elapsed));
            }

            load.Count((int)response.StatusCode, response.IsSuccessStatusCode ? options.Readings * options.Metrics : 0);
        }
    }
}

// Sustained ingest is the steady state: every device sends once before the clock starts, so the API's first lookup
// of each device key (cached afterwards) is not counted as ingest cost.
Console.WriteLine($"warm-up: one request from each of the {options.Devices} devices ...");
await Parallel.ForAsync(0, options.Devices, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency }, async (device, _) =>
{
    using var response = (await SendAsync(device)).Response;
    response.EnsureSuccessStatusCode();
});

var pace = options.Rate > 0 ? $", paced at {options.Rate:N0} points/s" : ", each as fast as answers come";
Console.WriteLine($"load: {options.Concurrency} concurrent senders{pace}, {options.Readings} readings x {options.Metrics} metrics per request, {options.Seconds} s after {options.WarmupSeconds} s warm-up ...");
var measureFrom = DateTime.UtcNow.AddSeconds(options.WarmupSeconds);
var stopAt = measureFrom.AddSeconds(options.Seconds);
Console.WriteLine($"measured from {measureFrom:HH:mm:ss} to {stopAt:HH:mm:ss} UTC");
var perWorker = Enumerable.Range(0, options.Concurrency).Select(_ => new List<double>()).ToArray();
var probe = new AlertProbe(http, app, run);
var probing = options.AlertProbes > 0 ? Task.Run(async () =>
{
    await UntilAsync(measureFrom);
    await probe.RunAsync(options.AlertProbes, stopAt);
}) : Task.CompletedTask;
// The writer's group commits over the measured minute, read from the API's /metrics when it starts and ends.
var writerDuring = Task.Run(async () =>
{
    await UntilAsync(measureFrom);
    var first = await WriterSnapshot.ReadAsync(http);
    await UntilAsync(stopAt);
    return (await WriterSnapshot.ReadAsync(http)).Since(first);
});
(next, paceFrom) = (-1, Stopwatch.GetTimestamp());
await Task.WhenAll(perWorker.Select(latencies => Task.Run(() => WorkerAsync(measureFrom, stopAt, latencies))).Append(probing));
var writer = await writerDuring;
var all = perWorker.SelectMany(l => l).Order().ToArray();
var pointsPerSecond = load.Points / (double)options.Seconds;

Console.WriteLine($"measuring the COPY ceiling with {options.CopyRows:N0} rows of the same shape, {options.CopyRuns} times into telemetry and into a fresh table ...");
// The same rows as the load sends: the run's devices, a request's worth of consecutive seqs per device at a time. Into
// telemetry itself (rolled back), its day partition and key index as the run left them, that is the rate PostgreSQL
// can store these rows at; a fresh, empty table with the same key shows what an index that is still small allows.
// One COPY takes a few seconds and a busy moment of the machine pulls it down: each ceiling is the best of its runs,
// taken once the machine has settled from the load (see CopyCeiling.SettleAsync).
var (intoTelemetry, intoFresh) = (new List<double>(), new List<double>());
if (options.CopyRuns > 0)
{
    var settled = await CopyCeiling.SettleAsync(app.DatabaseConnectionString);
    Console.WriteLine($"settled in {settled.Elapsed.TotalSeconds:0.0} s ({settled.Note})");
}

var shape = new CopyCeiling.Shape(ids, options.Readings, metricNames);
for (var copyRun = 0; copyRun < options.CopyRuns; copyRun++)
{
    intoTelemetry.Add(await CopyCeiling.MeasureAsync(app.DatabaseConnectionString, options.CopyRows, shape, CopyCeiling.Target.Telemetry));
    intoFresh.Add(await CopyCeiling.MeasureAsync(app.DatabaseConnectionString, options.CopyRows, shape, CopyCeiling.Target.FreshTable));
}

var simulator = app.SimulatorMemory();
Console.WriteLine();
Console.WriteLine($"devices {options.Devices}, {options.Seconds} s measured, {all.Length} requests ({string.Join(", ", load.ByStatus.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))})");
Console.WriteLine($"ingest        : {pointsPerSecond:N0} points/s ({all.Length / (double)options.Seconds:N0} requests/s)");
Console.WriteLine($"latency       : p50 {Percentile(all, 0.50):0.0} ms, p99 {Percentile(all, 0.99):0.0} ms, max {(all.Length > 0 ? all[^1] : 0):0.0} ms");
Console.WriteLine($"writer        : {writer.Describe(options.Seconds)}");
Ceiling("COPY ceiling  ", intoTelemetry, "into telemetry");
Ceiling("              ", intoFresh, "into a fresh table");
if (!slow.IsEmpty)
{
    var stalls = slow.GroupBy(r => Math.Floor(r.SentAtSeconds)).OrderBy(g => g.Key)
        .Select(g => $"{g.Key:0} s: {g.Count()} (max {g.Max(r => r.Ms):0} ms)");
    Console.WriteLine($"over {SlowMs:0} ms : {slow.Count} requests, by second of the measured minute they were sent in: {string.Join(", ", stalls)}");
}

if (probe.Latencies.Count > 0)
{
    var sorted = probe.Latencies.Order().ToArray();
    Console.WriteLine($"alert latency : p50 {Percentile(sorted, 0.50):0} ms, p99 {Percentile(sorted, 0.99):0} ms, max {sorted[^1]:0} ms over {sorted.Length} breaches (reading sent -> open event on pub/sub)");
}

if (simulator is { } sim)
{
    Console.WriteLine($"simulator     : {sim.Devices} devices, {sim.RssBytes / 1048576.0:N0} MiB resident, {sim.RssBytes / (double)Math.Max(1, sim.Devices) / 1024:N1} KiB per device");
}

void Ceiling(string label, List<double> runs, string into)
{
    if (runs.Count == 0)
    {
        return;
    }

    var (best, median) = (runs.Max(), runs.Order().ElementAt(runs.Count / 2));
    Console.WriteLine($"{label}: {best:N0} readings/s = {best * metricNames.Length:N0} points/s {into} (best of {string.Join(", ", runs.Select(r => r.ToString("N0")))}) -> ingest is {pointsPerSecond / (best * metricNames.Length):P0} of it ({pointsPerSecond / (median * metricNames.Length):P0} of the median)");
}

static Task UntilAsync(DateTime moment) => Task.Delay(moment > DateTime.UtcNow ? moment - DateTime.UtcNow : TimeSpan.Zero);

static double Percentile(double[] sorted, double p) => Percentiles.Of(sorted, p);

namespace Fleet.IngestBench
{
    internal sealed class LoadResult
    {
        private long _points;

        public Dictionary<int, int> ByStatus { get; } = [];

        public long Points => Interlocked.Read(ref _points);

        public void Count(int status, int points)
        {
            Interlocked.Add(ref _points, points);
            lock (ByStatus)
            {
                ByStatus[status] = ByStatus.GetValueOrDefault(status) + 1;
            }
        }
    }

    internal static class CopyCeiling
    {
        public enum Target
        {
            /// <summary>telemetry itself, in a transaction that is rolled back.</summary>
            Telemetry,

            /// <summary>A new table with telemetry's columns and key, dropped afterwards.</summary>
            FreshTable,
        }

        /// <summary>
        /// Lets the machine finish the load's aftermath before the ceiling is measured, so the COPYs measure PostgreSQL and
        /// not what the load left running: a CHECKPOINT writes the dirty shared buffers, <c>sync</c> the kernel's dirty
        /// pages (GBs after a minute of ingest, written back in bursts otherwise), and autovacuum workers (the load's
        /// inserts start them on the day partition) are waited for until 90 s after settling began. Before this, single COPYs of one
        /// run differed by up to 50 %.
        /// </summary>
        public static async Task<(TimeSpan Elapsed, string Note)> SettleAsync(string connectionString)
        {
            var clock = Stopwatch.StartNew();
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using (var checkpoint = new NpgsqlCommand("CHECKPOINT", connection))
            {
                checkpoint.CommandTimeout = 300;
                await checkpoint.ExecuteNonQueryAsync();
            }

            using (var sync = Process.Start(new ProcessStartInfo("sync") { UseShellExecute = false }))
            {
                await sync!.WaitForExitAsync();
            }

            var vacuums = 0L;
            while (clock.Elapsed < TimeSpan.FromSeconds(90))
            {
                await using var workers = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'", connection);
                if ((vacuums = (long)(await workers.ExecuteScalarAsync())!) == 0)
                {
                    break;
                }

                await Task.Delay(500);
            }

            return (clock.Elapsed, vacuums == 0 ? "checkpoint, sync, no autovacuum running" : $"checkpoint, sync; {vacuums} autovacuum workers still running");
        }

        /// <summary>What the load sends: these devices, this many consecutive seqs per device at a time, these metrics.</summary>
        public sealed record Shape(Guid[] Devices, int ReadingsPerRequest, string[] Metrics);

        // Far above any seq the load reached, so the rows never meet a stored key.
        private const long SeqBase = 1L << 40;

        /// <summary>
        /// One binary COPY of <paramref name="rows"/> readings in one transaction, rolled back; readings/s. The rows are
        /// encoded beforehand (by PostgreSQL itself, COPY … TO STDOUT), so the clock runs while the server stores them
        /// and not while a client builds them: this is the server's rate.
        /// </summary>
        public static async Task<double> MeasureAsync(string connectionString, int rows, Shape shape, Target target)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            var encoded = await EncodeAsync(connection, rows, shape);
            var table = target == Target.Telemetry ? "telemetry" : $"bench_copy_{Guid.NewGuid():N}"[..24];
            if (target == Target.FreshTable)
            {
                await using var create = new NpgsqlCommand($"CREATE TABLE {table} (device_id uuid NOT NULL, seq bigint NOT NULL, ts timestamptz NOT NULL, metric_names text[] NOT NULL, metric_values double precision[] NOT NULL, PRIMARY KEY (device_id, ts, seq))", connection);
                await create.ExecuteNonQueryAsync();
            }

            try
            {
                await using var transaction = await connection.BeginTransactionAsync();
                var clock = Stopwatch.StartNew();
                await using (var copy = await connection.BeginRawBinaryCopyAsync($"COPY {table} (device_id, seq, ts, metric_names, metric_values) FROM STDIN (FORMAT BINARY)"))
                {
                    encoded.Position = 0;
                    await encoded.CopyToAsync(copy, 1 << 16);
                }

                var elapsed = clock.Elapsed;
                await transaction.RollbackAsync();
                return rows / elapsed.TotalSeconds;
            }
            finally
            {
                if (target == Target.FreshTable)
                {
                    await using var drop = new NpgsqlCommand($"DROP TABLE {table}", connection);
                    await drop.ExecuteNonQueryAsync();
                }
            }
        }

        /// <summary>
        /// The rows as binary COPY data: request r (of <see cref="Shape.ReadingsPerRequest"/> readings) comes from device
        /// r mod n with the next consecutive seqs of that device, as the load sends them.
        /// </summary>
        private static async Task<MemoryStream> EncodeAsync(NpgsqlConnection connection, int rows, Shape shape)
        {
            await using (var table = new NpgsqlCommand("CREATE TEMP TABLE IF NOT EXISTS bench_devices (n int, id uuid); TRUNCATE bench_devices", connection))
            {
                await table.ExecuteNonQueryAsync();
            }

            await using (var devices = new NpgsqlCommand("INSERT INTO bench_devices SELECT n - 1, id FROM unnest($1::uuid[]) WITH ORDINALITY AS d(id, n)", connection))
            {
                devices.Parameters.Add(new NpgsqlParameter { Value = shape.Devices });
                await devices.ExecuteNonQueryAsync();
            }

            var (perRequest, count) = (shape.ReadingsPerRequest, shape.Devices.Length);
            var requests = (rows + perRequest - 1) / perRequest;
            var names = $"ARRAY[{string.Join(", ", shape.Metrics.Select(m => $"'{m}'"))}]";
            // "+ k * 0" ties the values' subquery to its row, so PostgreSQL draws new random values per row instead of once.
            var query = $"""
                SELECT d.id, {SeqBase} + (r / {count}) * {perRequest} + k, now() - k * interval '1 ms', {names},
                       ARRAY(SELECT random() * 100 + k * 0 FROM generate_series(1, {shape.Metrics.Length}))
                FROM generate_series(0, {requests - 1}) AS r CROSS JOIN generate_series(0, {perRequest - 1}) AS k
                JOIN bench_devices d ON d.n = r % {count}
                ORDER BY r, k LIMIT {rows}
                """;
            var encoded = new MemoryStream();
            await using (var copy = await connection.BeginRawBinaryCopyAsync($"COPY ({query}) TO STDOUT (FORMAT BINARY)"))
            {
                await copy.CopyToAsync(encoded);
            }

            return encoded;
        }
    }

    /// <param name="Rate">Points/s the senders offer between them (0: each sends its next request when its last is answered).</param>
    internal sealed record BenchOptions(string StateDirectory, int Devices, int Seconds, int WarmupSeconds, int Readings, int Metrics, int Concurrency, int CopyRows, int CopyRuns, int AlertProbes, int Rate)
    {
        public static BenchOptions Parse(string[] args)
        {
            string Get(string name, string fallback) =>
                args.SkipWhile(a => a != $"--{name}").Skip(1).FirstOrDefault() ?? fallback;
            return new BenchOptions(
                Get("state-dir", RunningApp.DefaultStateDirectory()),
                int.Parse(Get("devices", "1000")),
                int.Parse(Get("seconds", "60")),
                // Half a minute of load before the clock: the API's hot paths reach their optimized (tier-1, PGO) code and
                // PostgreSQL's caches fill. A fresh app measured after 5 s ran at about four fifths of its later rate.
                int.Parse(Get("warmup", "30")),
                int.Parse(Get("readings", "10")),
                int.Parse(Get("metrics", "5")),
                int.Parse(Get("concurrency", "64")),
                int.Parse(Get("copy-rows", "500000")),
                int.Parse(Get("copy-runs", "3")),
                int.Parse(Get("alert-probes", "0")),
                int.Parse(Get("rate", "0")));
        }
    }
}
