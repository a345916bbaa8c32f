using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.Contracts;

namespace Fleet.AlertBench;

/// <summary>
/// Devices registered through the real API that report only when told: a change is one heartbeat or one reading of a
/// random device, so the rate of changes is the benchmark's to set whatever the fleet size.
/// </summary>
internal sealed class BenchFleet(HttpClient http, string enrollmentToken, string run)
{
    private readonly List<string> _keys = [];
    private long[] _seq = [];
    private long _sent;

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Registers devices up to <paramref name="size"/>; each sends one heartbeat and one reading.</summary>
    public async Task GrowToAsync(int size, int concurrency)
    {
        var from = _keys.Count;
        var keys = new string[size - from];
        await Parallel.ForAsync(from, size, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
        {
            using var response = await http.PostAsJsonAsync(FleetHttp.RegisterRoute,
                new RegisterDeviceRequest(enrollmentToken, $"AB-{run}-{i:D6}", "temperature-sensor", "rev-a", "eu-west"), ct);
            keys[i - from] = (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RegisterDeviceResponse>(ct))!.DeviceKey;
        });
        _keys.AddRange(keys);
        Array.Resize(ref _seq, size);
        await Parallel.ForAsync(from, size, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
        {
            await HeartbeatAsync(i, ct);
            await ReadingAsync(i, ct);
        });
    }

    /// <summary>Sends <paramref name="rate"/> changes a second, alternately heartbeats and readings of random devices, until cancelled.</summary>
    public async Task ChangeAsync(int rate, int seconds, int concurrency, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await Parallel.ForAsync(0, (long)rate * seconds, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                var wait = TimeSpan.FromSeconds(i / (double)rate) - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, ct);
                }

                var device = Random.Shared.Next(_keys.Count);
                await (i % 2 == 0 ? HeartbeatAsync(device, ct) : ReadingAsync(device, ct));
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The window ended; changes not sent by then are not counted.
        }
    }

    private Task HeartbeatAsync(int device, CancellationToken cancellationToken) =>
        SendAsync(device, FleetHttp.HeartbeatRoute, JsonContent.Create(new HeartbeatRequest(Math.Round(60 + Random.Shared.NextDouble() * 40, 1), -60, "1.0.0", "A", 60)), cancellationToken);

    private Task ReadingAsync(int device, CancellationToken cancellationToken)
    {
        var seq = Interlocked.Increment(ref _seq[device]);
        var metrics = new Dictionary<string, double> { ["temperature"] = Math.Round(20 + Random.Shared.NextDouble() * 5, 2), ["humidity"] = 40 };
        return SendAsync(device, FleetHttp.TelemetryRoute, JsonContent.Create(new TelemetryBatchRequest([new TelemetryReading(seq, DateTimeOffset.UtcNow, metrics)])), cancellationToken);
    }

    private async Task SendAsync(int device, string route, HttpContent content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, _keys[device]);
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        Interlocked.Increment(ref _sent);
    }
}
