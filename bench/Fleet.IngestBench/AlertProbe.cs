using Fleet.Bench;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Fleet.Contracts;
using StackExchange.Redis;

namespace Fleet.IngestBench;

/// <summary>
/// Time from a breaching reading to its open alert, measured while the load runs: a metric_threshold rule scoped to
/// a few probe devices; each probe sends a breaching reading, the clock stops when the alert's "open" event arrives
/// on Redis pub/sub (what the UI listens to), then the probe clears it and waits for the resolve before the next try.
/// </summary>
internal sealed class AlertProbe(HttpClient http, RunningApp app, string run)
{
    private const string Metric = "bench_probe";
    private readonly List<double> _latencies = [];

    public IReadOnlyList<double> Latencies => _latencies;

    public async Task RunAsync(int probes, DateTime stopAt)
    {
        var tag = $"probe-{run}";
        using (var rule = new HttpRequestMessage(HttpMethod.Post, "/api/v1/alert-rules")
        {
            Content = JsonContent.Create(new AlertRuleRequest($"bench probe {run}", "metric_threshold", "info", new AlertScope(Tags: [tag]), Metric, "gt", 100)),
        })
        {
            rule.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, app.OperatorToken);
            using var created = await http.SendAsync(rule);
            created.EnsureSuccessStatusCode();
        }

        var devices = new List<(Guid Id, string Key)>();
        for (var i = 0; i < probes; i++)
        {
            using var response = await http.PostAsJsonAsync(FleetHttp.RegisterRoute,
                new RegisterDeviceRequest(app.EnrollmentToken, $"PROBE-{run}-{i}", "meter", "rev-a", "eu-west", Tags: [tag]));
            var registered = (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RegisterDeviceResponse>())!;
            devices.Add((registered.DeviceId, registered.DeviceKey));
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(app.RedisConnectionString);
        var events = Channel.CreateUnbounded<(AlertEvent Event, long At)>();
        await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(FleetChannels.Alerts), (_, message) =>
            events.Writer.TryWrite((JsonSerializer.Deserialize<AlertEvent>(message.ToString(), JsonSerializerOptions.Web)!, Stopwatch.GetTimestamp())));

        var seq = 0L;
        while (DateTime.UtcNow < stopAt)
        {
            foreach (var (id, key) in devices)
            {
                var sent = Stopwatch.GetTimestamp();
                await SendAsync(key, ++seq, 150);
                if (await WaitForAsync(events, id, "open") is { } openedAt)
                {
                    _latencies.Add(Stopwatch.GetElapsedTime(sent, openedAt).TotalMilliseconds);
                }

                await SendAsync(key, ++seq, 0);
                await WaitForAsync(events, id, "resolved");
            }
        }
    }

    private async Task SendAsync(string key, long seq, double value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, FleetHttp.TelemetryRoute)
        {
            Content = JsonContent.Create(new TelemetryBatchRequest([new TelemetryReading(seq, DateTimeOffset.UtcNow, new Dictionary<string, double> { [Metric] = value })])),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, key);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    private static async Task<long?> WaitForAsync(Channel<(AlertEvent Event, long At)> events, Guid deviceId, string state)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (true)
            {
                var (alertEvent, at) = await events.Reader.ReadAsync(timeout.Token);
                if (alertEvent.DeviceId == deviceId && alertEvent.To == state)
                {
                    return at;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine($"alert probe: no '{state}' event for {deviceId} within 30 s");
            return null;
        }
    }
}
