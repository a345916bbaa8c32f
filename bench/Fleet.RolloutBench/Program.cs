using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.Bench;
using Fleet.Contracts;
using Fleet.RolloutBench;

// A rollout to N devices through the real API and device channel: N WebSocket devices that report every step at
// once (the controller, not the devices, is what is measured), a release published over HTTP, a zero-soak plan
// 1 → 10 → 50 → 100 %. Prints the time to 100 % and, from the API's /metrics, the controller's work per tick —
// first while the rollout moves, then while a second rollout sits in a long soak with nothing changing.
var options = BenchOptions.Parse(args);
var app = RunningApp.Load(options.StateDirectory);
using var http = new HttpClient { BaseAddress = new Uri(app.ApiUrl), Timeout = TimeSpan.FromSeconds(60) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, app.OperatorToken);
var run = Guid.NewGuid().ToString("N")[..8];
var type = $"bench-{run}";

Console.WriteLine($"registering {options.Devices} devices of type {type} ...");
var keys = new string[options.Devices];
await Parallel.ForAsync(0, options.Devices, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
{
    using var response = await http.PostAsJsonAsync(FleetHttp.RegisterRoute,
        new RegisterDeviceRequest(app.EnrollmentToken, $"RB-{run}-{i:D6}", type, "rev-a", "eu-west"), ct);
    keys[i] = (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RegisterDeviceResponse>(ct))!.DeviceKey;
});

Console.WriteLine($"connecting {options.Devices} device channels ...");
var devices = new BenchDevice[options.Devices];
await Parallel.ForAsync(0, options.Devices, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
    devices[i] = await BenchDevice.ConnectAsync(new Uri(app.ApiUrl), keys[i], ct));

var release = await PublishAsync(http, $"9.{Random.Shared.Next(1_000_000)}.0", type);
var moving = await MetricsSnapshot.ReadAsync(http);
var rollout = await StartRolloutAsync(http, release.Id, type, [1, 10, 50, 100], TimeSpan.Zero, options.MaxConcurrent);
var clock = Stopwatch.StartNew();
var final = await WaitAsync(http, rollout.Id, state => state is "completed" or "paused" or "aborted" or "rolled-back", TimeSpan.FromMinutes(30));
var elapsed = clock.Elapsed;
var moved = (await MetricsSnapshot.ReadAsync(http)).Since(moving);

Console.WriteLine($"idle: a second rollout of the same devices' type waits in a 1 h soak for {options.IdleSeconds} s ...");
var next = await PublishAsync(http, $"9.{Random.Shared.Next(1_000_000)}.1", type);
var idleRollout = await StartRolloutAsync(http, next.Id, type, [1, 100], TimeSpan.FromHours(1), options.MaxConcurrent);
await WaitAsync(http, idleRollout.Id, _ => true, TimeSpan.FromSeconds(5));
await Task.Delay(TimeSpan.FromSeconds(10)); // the first phase's devices finish
var idleFrom = await MetricsSnapshot.ReadAsync(http);
await Task.Delay(TimeSpan.FromSeconds(options.IdleSeconds));
var idle = (await MetricsSnapshot.ReadAsync(http)).Since(idleFrom);
using (await http.PostAsJsonAsync(RolloutHttp.Action(idleRollout.Id, "abort"), new RolloutActionRequest("benchmark done")))
{
}

foreach (var device in devices)
{
    device.Dispose();
}

Console.WriteLine();
Console.WriteLine($"devices {options.Devices}, maxConcurrentUpdates {options.MaxConcurrent}, plan 1/10/50/100 % with zero soak");
Console.WriteLine($"rollout       : {final.State} in {elapsed.TotalSeconds:0.0} s, devices {string.Join(", ", final.Devices.Where(p => p.Value > 0).Select(p => $"{p.Key} {p.Value}"))}");
Console.WriteLine($"moving ticks  : {moved.Ticks:N0} ticks, mean {moved.MeanTickMs:0.0} ms, {moved.DevicesPerTick:0.0} devices moved per tick, {moved.Evaluations:N0} gate evaluations");
Console.WriteLine($"idle ticks    : {idle.Ticks:N0} ticks, mean {idle.MeanTickMs:0.0} ms, {idle.DevicesPerTick:0.0} devices moved per tick, {idle.Evaluations:N0} gate evaluations");

static async Task<FirmwareReleaseResponse> PublishAsync(HttpClient http, string version, string type)
{
    using var form = new MultipartFormDataContent
    {
        { new ByteArrayContent(new byte[64 * 1024]), FirmwareHttp.Fields.File, "firmware.bin" },
        { new StringContent(version), FirmwareHttp.Fields.Version },
        { new StringContent(type), FirmwareHttp.Fields.DeviceTypes },
    };
    using var response = await http.PostAsync(FirmwareHttp.ReleasesRoute, form);
    return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<FirmwareReleaseResponse>())!;
}

static async Task<RolloutResponse> StartRolloutAsync(HttpClient http, Guid releaseId, string type, double[] percents, TimeSpan soak, int maxConcurrent)
{
    var plan = new RolloutPlan([.. percents.Select(p => new RolloutPhase(p, soak, 0.95, 0.05))], MaxConcurrentUpdates: maxConcurrent);
    using var created = await http.PostAsJsonAsync(RolloutHttp.RolloutsRoute, new CreateRolloutRequest(releaseId, new RolloutTarget(DeviceTypes: [type]), plan));
    var rollout = (await created.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RolloutResponse>())!;
    using var started = await http.PostAsJsonAsync(RolloutHttp.Action(rollout.Id, "start"), new RolloutActionRequest("benchmark"));
    started.EnsureSuccessStatusCode();
    return rollout;
}

static async Task<RolloutResponse> WaitAsync(HttpClient http, Guid id, Func<string, bool> done, TimeSpan timeout)
{
    var deadline = DateTime.UtcNow + timeout;
    while (true)
    {
        var rollout = (await http.GetFromJsonAsync<RolloutResponse>(RolloutHttp.Rollout(id)))!;
        if (done(rollout.State) || DateTime.UtcNow > deadline)
        {
            return rollout;
        }

        await Task.Delay(250);
    }
}

namespace Fleet.RolloutBench
{
    internal sealed record BenchOptions(string StateDirectory, int Devices, int MaxConcurrent, int IdleSeconds)
    {
        public static BenchOptions Parse(string[] args)
        {
            string Get(string name, string fallback) =>
                args.SkipWhile(a => a != $"--{name}").Skip(1).FirstOrDefault() ?? fallback;
            return new BenchOptions(
                Get("state-dir", RunningApp.DefaultStateDirectory()),
                int.Parse(Get("devices", "1000"), CultureInfo.InvariantCulture),
                int.Parse(Get("max-concurrent", "1000"), CultureInfo.InvariantCulture),
                int.Parse(Get("idle-seconds", "30"), CultureInfo.InvariantCulture));
        }
    }
}
