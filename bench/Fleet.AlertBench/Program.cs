using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.AlertBench;
using Fleet.Bench;
using Fleet.Contracts;

// The alert evaluator's cost per minute as the fleet grows: against a running AppHost, a default rule set over the
// whole fleet, then for each fleet size (devices registered through the real API, each with one heartbeat and one
// reading) a quiet minute and minutes of a fixed rate of changes (heartbeats and readings of random devices). Reads
// the evaluator's own figures from the API's /metrics (Fleet.Alerts meter) and the API process's CPU time from /proc.
var options = BenchOptions.Parse(args);
var app = RunningApp.Load(options.StateDirectory);
var apiPid = ApiProcess.Find(options.StateDirectory);
using var http = new HttpClient { BaseAddress = new Uri(app.ApiUrl), Timeout = TimeSpan.FromSeconds(60) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, app.OperatorToken);
var fleet = new BenchFleet(http, app.EnrollmentToken, Guid.NewGuid().ToString("N")[..8]);

var rules = await DefaultRules.EnsureAsync(http);
Console.WriteLine($"rules: {string.Join(", ", rules)}; API pid {apiPid}; sizes {string.Join("/", options.Sizes)}; rates {string.Join("/", options.Rates)} changes/s; {options.Seconds} s each");

var rows = new List<string>();
foreach (var size in options.Sizes)
{
    Console.WriteLine($"growing the fleet to {size} devices ...");
    await fleet.GrowToAsync(size, options.Concurrency);
    if (size == options.Sizes[0] && options.WarmupSeconds > 0)
    {
        // The API's first evaluations pay for JIT and cold connection pools: not a cost of the fleet.
        using var warmup = new CancellationTokenSource(TimeSpan.FromSeconds(options.WarmupSeconds));
        await fleet.ChangeAsync(options.Rates[^1], options.WarmupSeconds, options.Concurrency, warmup.Token);
    }

    await WaitForQuietAsync(http);

    rows.Add(Row(size, "idle", await MeasureAsync(options.IdleSeconds, _ => Task.CompletedTask)));
    foreach (var rate in options.Rates)
    {
        rows.Add(Row(size, $"{rate}/s", await MeasureAsync(options.Seconds, ct => fleet.ChangeAsync(rate, options.Seconds, options.Concurrency, ct))));
        await WaitForQuietAsync(http);
    }

    Console.WriteLine(rows[^1]);
}

Console.WriteLine();
Console.WriteLine("per minute of each window; evaluation time is the evaluator's wall time (its queries included), API CPU is the whole API process");
Console.WriteLine(Header());
rows.ForEach(Console.WriteLine);

async Task<Measurement> MeasureAsync(int seconds, Func<CancellationToken, Task> load)
{
    var before = await MetricsSnapshot.ReadAsync(http);
    var cpuBefore = ApiProcess.CpuSeconds(apiPid);
    var clock = Stopwatch.StartNew();
    var sent = fleet.Sent;
    using var window = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
    await load(window.Token);
    var remaining = TimeSpan.FromSeconds(seconds) - clock.Elapsed;
    if (remaining > TimeSpan.Zero)
    {
        await Task.Delay(remaining);
    }

    var after = await MetricsSnapshot.ReadAsync(http);
    return new Measurement(after.Since(before), ApiProcess.CpuSeconds(apiPid) - cpuBefore, fleet.Sent - sent, clock.Elapsed, File.ReadAllText("/proc/loadavg").Split(' ')[0]);
}

// Changes marked before a window are evaluated before it starts (the dirty set is empty and stays so for a moment).
async Task WaitForQuietAsync(HttpClient api)
{
    var last = await MetricsSnapshot.ReadAsync(api);
    for (var quiet = 0; quiet < 3;)
    {
        await Task.Delay(TimeSpan.FromSeconds(1));
        var now = await MetricsSnapshot.ReadAsync(api);
        quiet = now.DevicesEvaluated == last.DevicesEvaluated ? quiet + 1 : 0;
        last = now;
    }
}

static string Header() =>
    $"{"devices",8} {"changes",8} {"sent/min",9} {"evals/min",10} {"devices/min",12} {"checks/min",11} {"eval s/min",11} {"ms/eval",8} {"µs/device",10} {"API CPU s/min",14} {"load",6}";

static string Row(int size, string load, Measurement m)
{
    var perMinute = 60 / m.Elapsed.TotalSeconds;
    var d = m.Metrics;
    return string.Create(CultureInfo.InvariantCulture,
        $"{size,8:N0} {load,8} {m.Sent * perMinute,9:N0} {d.Evaluations * perMinute,10:N0} {d.DevicesEvaluated * perMinute,12:N0} {d.Checks * perMinute,11:N0} {d.EvaluationSeconds * perMinute,11:0.000} {d.MeanEvaluationMs,8:0.0} {d.MicrosecondsPerDevice,10:0} {m.ApiCpuSeconds * perMinute,14:0.0} {m.Load,6}");
}

namespace Fleet.AlertBench
{
    internal sealed record Measurement(MetricsSnapshot Metrics, double ApiCpuSeconds, long Sent, TimeSpan Elapsed, string Load);

    internal sealed record BenchOptions(string StateDirectory, int[] Sizes, int[] Rates, int Seconds, int IdleSeconds, int WarmupSeconds, int Concurrency)
    {
        public static BenchOptions Parse(string[] args)
        {
            string Get(string name, string fallback) =>
                args.SkipWhile(a => a != $"--{name}").Skip(1).FirstOrDefault() ?? fallback;
            int[] List(string name, string fallback) => [.. Get(name, fallback).Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))];
            return new BenchOptions(
                Get("state-dir", RunningApp.DefaultStateDirectory()),
                List("sizes", "1000,5000,10000"),
                List("rates", "50,200"),
                int.Parse(Get("seconds", "60"), CultureInfo.InvariantCulture),
                int.Parse(Get("idle-seconds", "30"), CultureInfo.InvariantCulture),
                int.Parse(Get("warmup-seconds", "20"), CultureInfo.InvariantCulture),
                int.Parse(Get("concurrency", "32"), CultureInfo.InvariantCulture));
        }
    }
}
