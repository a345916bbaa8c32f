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
await Parallel.ForAsync(0, options.Devices, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
{
    using var response = await http.PostAsJsonAsync(FleetHttp.RegisterRoute,
        new RegisterDeviceRequest(app.EnrollmentToken, $"BENCH-{run}-{i:D6}", "meter", "rev-a", "eu-west"), ct);
    keys[i] = (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RegisterDeviceResponse>(ct))!.DeviceKey;
});

var seqs = new long[options.Devices];
var metricNames = Enumerable.Range(0, options.Metrics).Select(m => $"m{m}").ToArray();
var load = new LoadResult();
var next = -1;

async Task<(HttpResponseMessage Response, double Milliseconds)> SendAsync(int device)
{
    var now = DateTimeOffset.UtcNow;
    var readings = new TelemetryReading[options.Readings];
    for (var r = 0; r < readings.Length; r++)
    {
        var metrics = new Dictionary<string, double>(metricNames.Length);
        foreach (var name in metricNames)
        {
            metrics[name] = Random.Shared.NextDouble() * 100;
        }

        readings[r] = new TelemetryReading(Interlocked.Increment(ref seqs[device]), now.AddMilliseconds(-r), metrics);
    }

    using var request = new HttpRequestMessage(HttpMethod.Post, FleetHttp.TelemetryRoute) { Content = JsonContent.Create(new TelemetryBatchRequest(readings)) };
    request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, keys[device]);
    var started = Stopwatch.GetTimestamp();
    var response = await http.SendAsync(request);
    return (response, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
}

async Task WorkerAsync(DateTime measureFrom, DateTime stopAt, List<double> latencies)
{
    while (DateTime.UtcNow < stopAt)
    {
        var device = (int)((uint)Interlocked.Increment(ref next) % (uint)options.Devices);
        var (response, elapsed) = await SendAsync(device);
        using (response)
        {
            if (DateTime.UtcNow < measureFrom)
            {
                continue;
            }

            latencies.Add(elapsed);
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

Console.WriteLine($"load: {options.Concurrency} concurrent senders, {options.Readings} readings x {options.Metrics} metrics per request, {options.Seconds} s after {options.WarmupSeconds} s warm-up ...");
var measureFrom = DateTime.UtcNow.AddSeconds(options.WarmupSeconds);
var stopAt = measureFrom.AddSeconds(options.Seconds);
var perWorker = Enumerable.Range(0, options.Concurrency).Select(_ => new List<double>()).ToArray();
var probe = new AlertProbe(http, app, run);
var probing = options.AlertProbes > 0 ? Task.Run(async () =>
{
    await Task.Delay(measureFrom - DateTime.UtcNow);
    await probe.RunAsync(options.AlertProbes, stopAt);
}) : Task.CompletedTask;
await Task.WhenAll(perWorker.Select(latencies => Task.Run(() => WorkerAsync(measureFrom, stopAt, latencies))).Append(probing));
var all = perWorker.SelectMany(l => l).Order().ToArray();
var pointsPerSecond = load.Points / (double)options.Seconds;

Console.WriteLine($"measuring the COPY ceiling with {options.CopyRows:N0} rows of the same shape, {options.CopyRuns} times ...");
// One COPY takes a few seconds and a busy moment of the machine pulls it down: the ceiling is the best of the runs.
var copyRuns = new List<double>();
for (var copyRun = 0; copyRun < options.CopyRuns; copyRun++)
{
    copyRuns.Add(await CopyCeiling.MeasureAsync(app.DatabaseConnectionString, options.CopyRows, metricNames));
}

var copyRowsPerSecond = copyRuns.Max();
var copyPointsPerSecond = copyRowsPerSecond * metricNames.Length;

var simulator = app.SimulatorMemory();
Console.WriteLine();
Console.WriteLine($"devices {options.Devices}, {options.Seconds} s measured, {all.Length} requests ({string.Join(", ", load.ByStatus.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))})");
Console.WriteLine($"ingest        : {pointsPerSecond:N0} points/s ({all.Length / (double)options.Seconds:N0} requests/s)");
Console.WriteLine($"latency       : p50 {Percentile(all, 0.50):0.0} ms, p99 {Percentile(all, 0.99):0.0} ms, max {(all.Length > 0 ? all[^1] : 0):0.0} ms");
Console.WriteLine($"COPY ceiling  : {copyRowsPerSecond:N0} readings/s = {copyPointsPerSecond:N0} points/s (best of {string.Join(", ", copyRuns.Select(r => r.ToString("N0")))}) -> ingest is {pointsPerSecond / copyPointsPerSecond:P0} of it");
if (probe.Latencies.Count > 0)
{
    var sorted = probe.Latencies.Order().ToArray();
    Console.WriteLine($"alert latency : p50 {Percentile(sorted, 0.50):0} ms, p99 {Percentile(sorted, 0.99):0} ms, max {sorted[^1]:0} ms over {sorted.Length} breaches (reading sent -> open event on pub/sub)");
}

if (simulator is { } sim)
{
    Console.WriteLine($"simulator     : {sim.Devices} devices, {sim.RssBytes / 1048576.0:N0} MiB resident, {sim.RssBytes / (double)Math.Max(1, sim.Devices) / 1024:N1} KiB per device");
}

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

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
        /// <summary>Binary COPY of readings into a fresh table with telemetry's columns and key, in one transaction; readings/s.</summary>
        public static async Task<double> MeasureAsync(string connectionString, int rows, string[] metrics)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            var table = $"bench_copy_{Guid.NewGuid():N}"[..24];
            await using (var create = new NpgsqlCommand($"CREATE TABLE {table} (device_id uuid NOT NULL, seq bigint NOT NULL, ts timestamptz NOT NULL, metric_names text[] NOT NULL, metric_values double precision[] NOT NULL, PRIMARY KEY (device_id, ts, seq))", connection))
            {
                await create.ExecuteNonQueryAsync();
            }

            try
            {
                var devices = Enumerable.Range(0, 1000).Select(_ => Guid.NewGuid()).ToArray();
                var now = DateTime.UtcNow;
                var clock = Stopwatch.StartNew();
                await using (var transaction = await connection.BeginTransactionAsync())
                {
                    await using (var importer = await connection.BeginBinaryImportAsync($"COPY {table} (device_id, seq, ts, metric_names, metric_values) FROM STDIN (FORMAT BINARY)"))
                    {
                        var values = new double[metrics.Length];
                        for (var i = 0; i < rows; i++)
                        {
                            for (var m = 0; m < values.Length; m++)
                            {
                                values[m] = Random.Shared.NextDouble();
                            }

                            await importer.StartRowAsync();
                            await importer.WriteAsync(devices[i % devices.Length], NpgsqlDbType.Uuid);
                            await importer.WriteAsync((long)(i / devices.Length), NpgsqlDbType.Bigint);
                            await importer.WriteAsync(now.AddMilliseconds(-(i / devices.Length)), NpgsqlDbType.TimestampTz);
                            await importer.WriteAsync(metrics, NpgsqlDbType.Array | NpgsqlDbType.Text);
                            await importer.WriteAsync(values, NpgsqlDbType.Array | NpgsqlDbType.Double);
                        }

                        await importer.CompleteAsync();
                    }

                    await transaction.CommitAsync();
                }

                return rows / clock.Elapsed.TotalSeconds;
            }
            finally
            {
                await using var drop = new NpgsqlCommand($"DROP TABLE {table}", connection);
                await drop.ExecuteNonQueryAsync();
            }
        }
    }

    internal sealed record BenchOptions(string StateDirectory, int Devices, int Seconds, int WarmupSeconds, int Readings, int Metrics, int Concurrency, int CopyRows, int CopyRuns, int AlertProbes)
    {
        public static BenchOptions Parse(string[] args)
        {
            string Get(string name, string fallback) =>
                args.SkipWhile(a => a != $"--{name}").Skip(1).FirstOrDefault() ?? fallback;
            return new BenchOptions(
                Get("state-dir", RunningApp.DefaultStateDirectory()),
                int.Parse(Get("devices", "1000")),
                int.Parse(Get("seconds", "60")),
                int.Parse(Get("warmup", "5")),
                int.Parse(Get("readings", "10")),
                int.Parse(Get("metrics", "5")),
                int.Parse(Get("concurrency", "64")),
                int.Parse(Get("copy-rows", "500000")),
                int.Parse(Get("copy-runs", "3")),
                int.Parse(Get("alert-probes", "0")));
        }
    }
}
