using Fleet.Bench;

namespace Fleet.MqttBench;

internal static class Report
{
    public static void Phase(PhaseResult r)
    {
        var failures = r.Failures.Count == 0 ? "none" : string.Join(", ", r.Failures.OrderBy(f => f.Key).Select(f => $"{f.Key}: {f.Value}"));
        Console.WriteLine($"  acked {r.Acked / (double)r.Seconds:N0}/s, stored {r.StoredPerSecond:N0}/s, ack p50 {P(r.AckMs, 0.5):0.0} ms p99 {P(r.AckMs, 0.99):0.0} ms max {(r.AckMs.Length > 0 ? r.AckMs[^1] : 0):0.0} ms, " +
            $"queryable p50 {P(r.QueryableMs, 0.5):0} ms p99 {P(r.QueryableMs, 0.99):0} ms ({r.QueryableMs.Length} of {r.QueryableSamples} samples seen), failures {failures}");
        Console.WriteLine($"  backlog stored {r.DrainSeconds:0.0} s after the window ({r.Backlog} left); CPU % of a core: {string.Join(", ", r.CpuPercent.Select(c => $"{c.Key} {c.Value:0}"))}");
    }

    public static void Table(IReadOnlyList<PhaseResult> results)
    {
        Console.WriteLine("| transport | devices | offered msg/s | acked msg/s | stored msg/s | ack p50 / p99 ms | queryable p50 / p99 ms | api | mosquitto | postgres | redis | bench (CPU % of a core) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            string Cpu(string name) => r.CpuPercent.TryGetValue(name, out var value) ? $"{value:0}" : "-";
            var failed = r.Failures.Values.Sum();
            Console.WriteLine($"| {r.Transport.ToUpperInvariant()} | {r.Devices:N0} | {(r.Rate > 0 ? r.Rate.ToString("N0") : $"max ({r.Concurrency} in flight)")} | " +
                $"{r.Acked / (double)r.Seconds:N0}{(failed > 0 ? $" ({failed} failed)" : "")} | {r.StoredPerSecond:N0} | {P(r.AckMs, 0.5):0.0} / {P(r.AckMs, 0.99):0.0} | " +
                $"{P(r.QueryableMs, 0.5):0} / {P(r.QueryableMs, 0.99):0} | {Cpu("api")} | {Cpu("mqtt")} | {Cpu("postgres")} | {Cpu("cache")} | {Cpu(AppMeters.Bench)} |");
        }
    }

    private static double P(double[] sorted, double p) => Percentiles.Of(sorted, p);
}
