using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Bench;
using Fleet.Contracts;

namespace Fleet.MqttBench;

internal sealed record BenchDevice(Guid Id, string Key);

/// <summary>
/// The bench's devices, registered through the api (which creates each one's broker identity) once per state folder and
/// kept in <see cref="FileName"/> there: Mosquitto 2.0's dynamic security rewrites its whole file on every new client, so
/// 10,000 registrations take minutes, and a kept state folder skips them on the next run.
/// </summary>
internal static class BenchDevices
{
    public const string FileName = "mqtt-bench-devices.json";

    public static async Task<BenchDevice[]> LoadOrRegisterAsync(HttpClient http, RunningApp app, string stateDirectory, int count, CancellationToken cancellationToken)
    {
        var path = Path.Combine(stateDirectory, FileName);
        var known = File.Exists(path) ? JsonSerializer.Deserialize<List<BenchDevice>>(await File.ReadAllTextAsync(path, cancellationToken), JsonSerializerOptions.Web) ?? [] : [];
        if (known.Count >= count)
        {
            Console.WriteLine($"devices: {count} of the {known.Count} kept in {path}, registration skipped");
            return [.. known.Take(count)];
        }

        var missing = count - known.Count;
        Console.WriteLine($"devices: {known.Count} kept, registering {missing} (each also creates its broker identity) ...");
        var run = Guid.NewGuid().ToString("N")[..8];
        var added = new BenchDevice[missing];
        var clock = Stopwatch.StartNew();
        var done = 0;
        // The broker takes identity changes one at a time; a few registrations in flight keep it busy without the api's
        // control timeout running out for those queued behind.
        await Parallel.ForAsync(0, missing, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            added[i] = await RegisterAsync(http, app, $"MQTTBENCH-{run}-{i:D6}", ct);
            if (Interlocked.Increment(ref done) % 1000 == 0)
            {
                Console.WriteLine($"  {done} registered, {clock.Elapsed.TotalSeconds:0} s");
            }
        });
        Console.WriteLine($"registration: {missing} devices in {clock.Elapsed.TotalSeconds:0.0} s ({clock.Elapsed.TotalMilliseconds / missing:0.0} ms each, {known.Count} known before)");
        known.AddRange(added);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(known, JsonSerializerOptions.Web), cancellationToken);
        return [.. known];
    }

    private static async Task<BenchDevice> RegisterAsync(HttpClient http, RunningApp app, string serial, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var response = await http.PostAsJsonAsync(FleetHttp.RegisterRoute,
                new RegisterDeviceRequest(app.EnrollmentToken, serial, "meter", "rev-a", "eu-west"), cancellationToken);
            // 503: the broker did not take the identity in time; nothing was registered, so the same serial may try again.
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < 5)
            {
                await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken);
                continue;
            }

            var registered = (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RegisterDeviceResponse>(cancellationToken))!;
            return new BenchDevice(registered.DeviceId, registered.DeviceKey);
        }
    }
}
