using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Fleet.Api.Devices;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Fleet.Tests.Api;

/// <summary>
/// When the path to durability is down, a device gets a 503 with Retry-After within Fleet:DeviceStoreTimeout (2 s),
/// not a request held for as long as a driver keeps trying; and nothing of a refused request is kept.
/// </summary>
public sealed class DeviceFailFastTests(BackingServers servers)
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(4);

    // Well under Quick, so a loaded build machine's request overhead does not decide the outcome.
    private static readonly Dictionary<string, string?> OneSecondTimeout = new() { ["Fleet:DeviceStoreTimeout"] = "00:00:01" };
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_logged_acknowledgement_and_redis_down_ingest_is_a_quick_503_and_the_refused_batch_is_never_stored()
    {
        await using var redis = await StoppableRedis.StartAsync(Cancellation);
        var database = await servers.CreateDatabaseAsync("failfast", Cancellation);
        await using var api = new ApiFactory(database, redis.ConnectionString, new Dictionary<string, string?> { ["Fleet:Telemetry:Acknowledge"] = "Logged" });
        using var http = api.CreateClient();
        await Eventually.TrueAsync(async () => (await http.GetAsync("/health", Cancellation)).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60), "the API to report healthy", Cancellation);
        var device = await http.RegisterDeviceAsync($"FF-{Guid.NewGuid():N}", Cancellation);
        (await http.SendReadingAsync(device.DeviceKey, 1, Cancellation)).ShouldBe(HttpStatusCode.Accepted);
        await Eventually.TrueAsync(async () => await StoredAsync(database, device.DeviceId, 1), TimeSpan.FromSeconds(30), "seq 1 to be stored", Cancellation);

        await redis.StopAsync();
        var started = Stopwatch.GetTimestamp();
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => SendAsync(http, device.DeviceKey, 2)));

        Stopwatch.GetElapsedTime(started).ShouldBeLessThan(Quick);
        answers.ShouldAllBe(answer => answer.Status == HttpStatusCode.ServiceUnavailable && answer.RetryAfter != null);

        await redis.StartAgainAsync(Cancellation);
        await Eventually.TrueAsync(async () => (await http.SendReadingAsync(device.DeviceKey, 3, Cancellation)) == HttpStatusCode.Accepted,
            TimeSpan.FromSeconds(30), "ingest to take readings again once Redis is back", Cancellation);
        await Eventually.TrueAsync(async () => await StoredAsync(database, device.DeviceId, 3), TimeSpan.FromSeconds(30), "seq 3 to be stored", Cancellation);
        (await StoredAsync(database, device.DeviceId, 2)).ShouldBeFalse();
    }

    [Fact]
    public async Task With_redis_down_a_heartbeat_is_a_quick_503_with_retry_after()
    {
        await using var redis = await StoppableRedis.StartAsync(Cancellation);
        var database = await servers.CreateDatabaseAsync("failfast", Cancellation);
        await using var api = new ApiFactory(database, redis.ConnectionString);
        using var http = api.CreateClient();
        await Eventually.TrueAsync(async () => (await http.GetAsync("/health", Cancellation)).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60), "the API to report healthy", Cancellation);
        var device = await http.RegisterDeviceAsync($"FF-{Guid.NewGuid():N}", Cancellation);
        (await HeartbeatAsync(http, device.DeviceKey)).Status.ShouldBe(HttpStatusCode.Accepted);

        await redis.StopAsync();
        var started = Stopwatch.GetTimestamp();
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => HeartbeatAsync(http, device.DeviceKey)));

        Stopwatch.GetElapsedTime(started).ShouldBeLessThan(Quick);
        answers.ShouldAllBe(answer => answer.Status == HttpStatusCode.ServiceUnavailable && answer.RetryAfter != null);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task With_postgres_out_of_reach_a_device_call_is_a_quick_503_with_retry_after(bool answersNothing)
    {
        // A port that takes connections and never answers (a hung server), or one where nothing listens (a stopped one).
        using var blackHole = new TcpListener(System.Net.IPAddress.Loopback, 0);
        blackHole.Start();
        var port = ((System.Net.IPEndPoint)blackHole.LocalEndpoint).Port;
        if (!answersNothing)
        {
            blackHole.Stop();
        }

        var unreachable = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Database = "fleet", Username = "fleet", Password = "x" }.ConnectionString;
        await using var api = new ApiFactory(unreachable, servers.RedisConnectionString, OneSecondTimeout);
        using var http = api.CreateClient();

        var started = Stopwatch.GetTimestamp();
        var answer = await SendAsync(http, "a-key-this-replica-has-not-cached", 1);

        Stopwatch.GetElapsedTime(started).ShouldBeLessThan(Quick);
        answer.Status.ShouldBe(HttpStatusCode.ServiceUnavailable);
        answer.RetryAfter.ShouldNotBeNull();
    }

    [Fact]
    public async Task With_postgres_hung_a_device_with_a_cached_key_gets_a_quick_503_for_committed_ingest_and_downloads()
    {
        using var blackHole = new TcpListener(System.Net.IPAddress.Loopback, 0);
        blackHole.Start();
        var hung = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = ((System.Net.IPEndPoint)blackHole.LocalEndpoint).Port, Database = "fleet", Username = "fleet", Password = "x",
        }.ConnectionString;
        await using var api = new ApiFactory(hung, servers.RedisConnectionString, OneSecondTimeout);
        using var http = api.CreateClient();
        // The key as a replica that served the device before PostgreSQL hung holds it.
        const string key = "a-key-this-replica-looked-up-before-the-outage";
        api.Services.GetRequiredService<DeviceKeyCache>().Set(DeviceKeyHasher.Hash(key), new AuthenticatedDevice(Guid.NewGuid(), DeviceLifecycle.Active));

        var started = Stopwatch.GetTimestamp();
        var answer = await SendAsync(http, key, 1);

        Stopwatch.GetElapsedTime(started).ShouldBeLessThan(Quick);
        answer.Status.ShouldBe(HttpStatusCode.ServiceUnavailable);
        answer.RetryAfter.ShouldNotBeNull();

        started = Stopwatch.GetTimestamp();
        using var download = new HttpRequestMessage(HttpMethod.Get, FirmwareHttp.Download(Guid.NewGuid()));
        download.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, key);
        using var downloaded = await http.SendAsync(download, Cancellation);

        Stopwatch.GetElapsedTime(started).ShouldBeLessThan(Quick);
        downloaded.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        downloaded.Headers.RetryAfter.ShouldNotBeNull();
    }

    private static async Task<(HttpStatusCode Status, string? RetryAfter)> SendAsync(HttpClient http, string key, long seq)
    {
        var batch = new TelemetryBatchRequest([new TelemetryReading(seq, DateTimeOffset.UtcNow, new Dictionary<string, double> { ["temperature"] = 20 })]);
        using var response = await http.PostAsDeviceAsync(FleetHttp.TelemetryRoute, key, JsonContent.Create(batch), Cancellation);
        return (response.StatusCode, response.Headers.RetryAfter?.ToString());
    }

    private static async Task<(HttpStatusCode Status, string? RetryAfter)> HeartbeatAsync(HttpClient http, string key)
    {
        var heartbeat = new HeartbeatRequest(80, -60, "1.0.0", "A", 60, new GeoLocation(48.1, 11.6));
        using var response = await http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, key, JsonContent.Create(heartbeat), Cancellation);
        return (response.StatusCode, response.Headers.RetryAfter?.ToString());
    }

    private static async Task<bool> StoredAsync(string database, Guid deviceId, long seq) =>
        await Sql.ScalarAsync<long>(database, "SELECT count(*) FROM telemetry WHERE device_id = $1 AND seq = $2", Cancellation, deviceId, seq) > 0;
}
