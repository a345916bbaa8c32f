using System.Globalization;

namespace Fleet.AuthBench;

/// <summary>The table of one round (or of all rounds pooled), each case's API CPU against the anonymous baseline's.</summary>
internal static class Report
{
    public static void Print(IReadOnlyList<CaseResult> results)
    {
        var baseline = results[0].CpuPer1k;
        Console.WriteLine($"{"case",-15} {"route",-11} {"status",6} {"requests",9} {"req/s",6} {"fail",5} {"p50 ms",7} {"p99 ms",7} {"API CPU s",9} {"CPU s/1k",9} {"x anon",6} {"+µs/req",8}");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Case.Name,-15} {r.Case.Path,-11} {(int)r.Case.Expected,6} {r.Requests,9} {r.RequestsPerSecond,6:0} {r.Failures,5} {r.P50Ms,7:0.00} {r.P99Ms,7:0.00} {r.ApiCpuSeconds,9:0.00} {r.CpuPer1k,9:0.000} {r.CpuPer1k / baseline,6:0.00} {(r.CpuPer1k - baseline) * 1000,8:0}"));
            if (r.FirstFailure is { } why)
            {
                Console.WriteLine($"    first failure: {why}");
            }
        }
    }

    /// <summary>One case over every round: requests, time and CPU summed; latency percentiles are the rounds' worst.</summary>
    public static CaseResult Pool(IEnumerable<CaseResult> rounds)
    {
        var all = rounds.ToList();
        return new CaseResult(all[0].Case, all.Sum(r => r.Requests), all.Sum(r => r.Failures), all.Select(r => r.FirstFailure).FirstOrDefault(f => f is not null),
            TimeSpan.FromTicks(all.Sum(r => r.Elapsed.Ticks)), all.Max(r => r.P50Ms), all.Max(r => r.P99Ms), all.Sum(r => r.ApiCpuSeconds));
    }
}
