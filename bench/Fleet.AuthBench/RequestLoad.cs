using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Fleet.Contracts;

namespace Fleet.AuthBench;

/// <summary>One kind of request the benchmark times: a route, the bearer credential sent (if any), the status it must get.</summary>
internal sealed record AuthCase(string Name, string Path, string? Credential, HttpStatusCode Expected);

/// <summary>One measured window of one case.</summary>
internal sealed record CaseResult(AuthCase Case, long Requests, long Failures, string? FirstFailure, TimeSpan Elapsed, double P50Ms, double P99Ms, double ApiCpuSeconds)
{
    public double RequestsPerSecond => Requests / Elapsed.TotalSeconds;

    /// <summary>API CPU seconds per 1,000 requests.</summary>
    public double CpuPer1k => Requests == 0 ? double.NaN : ApiCpuSeconds * 1000 / Requests;
}

/// <summary>
/// Keeps <c>concurrency</c> requests of one case in flight over one pool of kept-alive connections, first for a warmup,
/// then for a measured window that counts requests, failures (an unexpected status or no answer), latencies and the
/// API's CPU time.
/// </summary>
internal sealed class RequestLoad(HttpClient http, BenchTarget target, int concurrency)
{
    public Task WarmAsync(AuthCase authCase, TimeSpan warmup, CancellationToken cancellationToken) =>
        DriveAsync(authCase, warmup, cancellationToken);

    public async Task<CaseResult> RunAsync(AuthCase authCase, TimeSpan warmup, TimeSpan window, CancellationToken cancellationToken)
    {
        await WarmAsync(authCase, warmup, cancellationToken);
        var cpuBefore = target.ApiCpuSeconds();
        var clock = Stopwatch.StartNew();
        var tallies = await DriveAsync(authCase, window, cancellationToken);
        var elapsed = clock.Elapsed;
        var cpu = target.ApiCpuSeconds() - cpuBefore;

        var latencies = tallies.SelectMany(t => t.LatenciesMs).Order().ToArray();
        return new CaseResult(authCase, latencies.Length, tallies.Sum(t => t.Failures), tallies.Select(t => t.FirstFailure).FirstOrDefault(f => f is not null),
            elapsed, Percentile(latencies, 0.50), Percentile(latencies, 0.99), cpu);
    }

    private async Task<Tally[]> DriveAsync(AuthCase authCase, TimeSpan duration, CancellationToken cancellationToken)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        return await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => WorkAsync(authCase, until, cancellationToken)));
    }

    // Requests in flight when the window closes finish and count; the window's elapsed time includes them.
    private async Task<Tally> WorkAsync(AuthCase authCase, long until, CancellationToken cancellationToken)
    {
        var tally = new Tally();
        while (Stopwatch.GetTimestamp() < until)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, authCase.Path);
            if (authCase.Credential is { } credential)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, credential);
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.SendAsync(request, cancellationToken);
                tally.LatenciesMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (response.StatusCode != authCase.Expected)
                {
                    tally.Fail($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }
            catch (HttpRequestException exception)
            {
                tally.LatenciesMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                tally.Fail(exception.Message);
            }
            catch (TaskCanceledException exception) when (!cancellationToken.IsCancellationRequested)
            {
                tally.LatenciesMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                tally.Fail($"timed out: {exception.Message}");
            }
        }

        return tally;
    }

    private static double Percentile(double[] sorted, double quantile) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];

    private sealed class Tally
    {
        public List<double> LatenciesMs { get; } = [];

        public long Failures { get; private set; }

        public string? FirstFailure { get; private set; }

        public void Fail(string why)
        {
            Failures++;
            FirstFailure ??= why;
        }
    }
}
