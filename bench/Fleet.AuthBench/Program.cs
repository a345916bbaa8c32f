using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.AuthBench;
using Fleet.Bench;
using Fleet.Contracts;

// What authenticating an operator request costs the API: against a running AppHost, a cheap anonymous route as the
// baseline, then GET /api/v1/me with an access token from the issuer (JWT), a personal access token, the break-glass
// token, and no credential (the 401 path), each at a fixed concurrency over kept-alive connections. Cases are
// interleaved round by round so the machine's noise falls on all alike; the API's CPU time comes from /proc.
var options = AuthBenchOptions.Parse(args);
var target = BenchTarget.Load(options.StateDirectory);
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency, UseCookies = false, AllowAutoRedirect = false };
using var http = new HttpClient(handler) { BaseAddress = target.ApiUrl, Timeout = TimeSpan.FromSeconds(30) };

var jwt = await IssuerSignIn.AccessTokenAsync(target, "admin", target.AdminPassword, stop.Token);
var pat = await CreatePersonalTokenAsync(jwt, stop.Token);
try
{
    AuthCase[] cases =
    [
        new("anonymous", "/", null, HttpStatusCode.OK),
        new("JWT", IdentityHttp.MeRoute, jwt, HttpStatusCode.OK),
        new("personal token", IdentityHttp.MeRoute, pat.Token, HttpStatusCode.OK),
        new("break-glass", IdentityHttp.MeRoute, target.OperatorToken, HttpStatusCode.OK),
        new("no credential", IdentityHttp.MeRoute, null, HttpStatusCode.Unauthorized),
    ];
    Console.WriteLine($"API {target.ApiUrl} (pid {target.ApiPid}); {Environment.ProcessorCount} cores; concurrency {options.Concurrency}; warmup {options.WarmupSeconds} s, window {options.Seconds} s; {options.Rounds} rounds");
    foreach (var (name, credential, method) in new[] { ("JWT", jwt, "session"), ("personal token", pat.Token, "token"), ("break-glass", target.OperatorToken, "break-glass") })
    {
        var me = await WhoAsync(credential, stop.Token);
        Console.WriteLine($"  {name,-15} -> {me.Name} ({me.Role}), authenticated by {me.AuthenticatedBy}");
        if (me.AuthenticatedBy != method)
        {
            throw new InvalidOperationException($"{name}: the API says it authenticated by {me.AuthenticatedBy}, not {method}.");
        }
    }

    var load = new RequestLoad(http, target, options.Concurrency);
    // Right after start the API is still compiling and settling: every path gets its warmup and the API goes quiet before round 1.
    foreach (var authCase in cases)
    {
        await load.WarmAsync(authCase, TimeSpan.FromSeconds(options.WarmupSeconds), stop.Token);
    }

    if (!await target.WaitForQuietAsync(stop.Token))
    {
        Console.WriteLine("the API did not go quiet after the warm pass; round 1 may carry its background work");
    }
    var rounds = new List<List<CaseResult>>();
    var loadAverages = new List<string>();
    for (var round = 1; round <= options.Rounds; round++)
    {
        var results = new List<CaseResult>();
        foreach (var authCase in cases)
        {
            var result = await load.RunAsync(authCase, TimeSpan.FromSeconds(options.WarmupSeconds), TimeSpan.FromSeconds(options.Seconds), stop.Token);
            Console.Error.WriteLine($"round {round}, {authCase.Name}: {result.Requests} requests, {result.Failures} failed");
            results.Add(result);
        }

        rounds.Add(results);
        loadAverages.Add(File.ReadAllText("/proc/loadavg").Split(' ')[0]);
    }

    // After the load, so the API is as warm as in the windows: its timers, workers, health probes and the device.
    var idleCpu = target.ApiCpuSeconds();
    await Task.Delay(TimeSpan.FromSeconds(options.Seconds), stop.Token);
    var idleCpuPerSecond = (target.ApiCpuSeconds() - idleCpu) / options.Seconds;
    Console.WriteLine($"API idle: {idleCpuPerSecond * 1000:0} ms CPU/s over {options.Seconds} s without load (background work every window includes)");

    for (var round = 0; round < rounds.Count; round++)
    {
        Console.WriteLine();
        Console.WriteLine($"round {round + 1} (load average {loadAverages[round]} at its end)");
        Report.Print(rounds[round]);
    }

    Console.WriteLine();
    Console.WriteLine($"all {options.Rounds} rounds pooled (p50/p99: the worst round's)");
    Report.Print([.. rounds.SelectMany(r => r).GroupBy(r => r.Case).Select(Report.Pool)]);
    Console.WriteLine();
    Console.WriteLine("CPU s/1k: the API process's CPU seconds (user + system) per 1,000 requests, i.e. ms per request; x anon: that over the");
    Console.WriteLine("anonymous baseline's (GET /, no health checks); +µs/req: CPU per request above the baseline's.");
}
finally
{
    await RevokeAsync(pat.Id, jwt);
}

async Task<PersonalTokenCreated> CreatePersonalTokenAsync(string accessToken, CancellationToken cancellationToken)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, IdentityHttp.TokensRoute)
    {
        Content = JsonContent.Create(new PersonalTokenRequest($"auth-bench-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}", ExpiresInDays: 1)),
    };
    request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, accessToken);
    using var response = await http.SendAsync(request, cancellationToken);
    if (response.StatusCode != HttpStatusCode.Created)
    {
        throw new InvalidOperationException($"Creating a personal token was refused ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    return (await response.Content.ReadFromJsonAsync<PersonalTokenCreated>(cancellationToken))!;
}

async Task<MeResponse> WhoAsync(string credential, CancellationToken cancellationToken)
{
    using var request = new HttpRequestMessage(HttpMethod.Get, IdentityHttp.MeRoute);
    request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, credential);
    using var response = await http.SendAsync(request, cancellationToken);
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{IdentityHttp.MeRoute} refused a credential ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    return (await response.Content.ReadFromJsonAsync<MeResponse>(cancellationToken))!;
}

// The token would otherwise outlive the run in a state folder that is kept (.fleet).
async Task RevokeAsync(Guid id, string accessToken)
{
    using var request = new HttpRequestMessage(HttpMethod.Delete, IdentityHttp.Token(id));
    request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, accessToken);
    using var response = await http.SendAsync(request, CancellationToken.None);
    if (!response.IsSuccessStatusCode)
    {
        Console.Error.WriteLine($"Could not revoke the benchmark's personal token {id}: {(int)response.StatusCode}");
    }
}

namespace Fleet.AuthBench
{
    internal sealed record AuthBenchOptions(string StateDirectory, int Seconds, int WarmupSeconds, int Concurrency, int Rounds)
    {
        public static AuthBenchOptions Parse(string[] args)
        {
            string Get(string name, string fallback) =>
                args.SkipWhile(a => a != $"--{name}").Skip(1).FirstOrDefault() ?? fallback;
            int Positive(string name, string fallback) =>
                int.Parse(Get(name, fallback), CultureInfo.InvariantCulture) is var value and > 0
                    ? value
                    : throw new ArgumentException($"--{name} must be at least 1.");
            return new AuthBenchOptions(
                Get("state-dir", RunningApp.DefaultStateDirectory()),
                Positive("seconds", "20"),
                Positive("warmup", "5"),
                Positive("concurrency", "8"),
                Positive("rounds", "2"));
        }
    }
}
