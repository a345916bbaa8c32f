using System.Net;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Fleet.Tests.Api;

/// <summary>
/// The per-device telemetry budget is one for all replicas: two APIs on one database and one Redis, each counting in
/// memory and adding its counts to Redis every 50 ms.
/// </summary>
public sealed class TelemetryRateLimitTests(TelemetryRateLimitTests.Fixture fixture) : IClassFixture<TelemetryRateLimitTests.Fixture>
{
    private const int Budget = 20;
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_device_that_moves_to_another_replica_brings_its_count_along()
    {
        using var first = fixture.First.CreateClient();
        using var second = fixture.Second.CreateClient();
        await WaitForRoomInTheMinuteAsync();
        var device = await first.RegisterDeviceAsync("RATE-MOVING", Cancellation);

        for (var seq = 1; seq <= 15; seq++)
        {
            (await first.SendReadingAsync(device.DeviceKey, seq, Cancellation)).ShouldBe(HttpStatusCode.Accepted);
        }

        // The first replica's count reaches Redis at its next flush.
        var redis = fixture.First.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var key = RedisKeys.TelemetryRate(device.DeviceId, DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60);
        await Eventually.TrueAsync(async () => (long)await redis.StringGetAsync(key) == 15, TimeSpan.FromSeconds(5), "15 requests counted in Redis", Cancellation);

        // The second replica learns the device's total at its first flush after the device's first request there; a
        // device sending slower than the flush interval gets the rest of its budget there, and no more.
        var accepted = 0;
        for (var seq = 16; seq <= 16 + Budget; seq++)
        {
            var status = await second.SendReadingAsync(device.DeviceKey, seq, Cancellation);
            if (status == HttpStatusCode.TooManyRequests)
            {
                break;
            }

            status.ShouldBe(HttpStatusCode.Accepted);
            accepted++;
            await Task.Delay(300, Cancellation);
        }

        accepted.ShouldBe(Budget - 15);
        // Back on the first replica, one more request is decided on what it knew; its flush then learns the total.
        await first.SendReadingAsync(device.DeviceKey, 100, Cancellation);
        await Task.Delay(300, Cancellation);
        (await first.SendReadingAsync(device.DeviceKey, 101, Cancellation)).ShouldBe(HttpStatusCode.TooManyRequests, "the first replica learns the total too");
    }

    [Fact]
    public async Task Requests_over_the_budget_are_not_counted_so_the_budget_is_what_was_accepted()
    {
        using var http = fixture.First.CreateClient();
        await WaitForRoomInTheMinuteAsync();
        var device = await http.RegisterDeviceAsync("RATE-REFUSED", Cancellation);

        var statuses = new List<HttpStatusCode>();
        for (var seq = 1; seq <= Budget + 5; seq++)
        {
            statuses.Add(await http.SendReadingAsync(device.DeviceKey, seq, Cancellation));
        }

        statuses.Count(s => s == HttpStatusCode.Accepted).ShouldBe(Budget);
        statuses.Skip(Budget).ShouldAllBe(s => s == HttpStatusCode.TooManyRequests);
        var redis = fixture.First.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var key = RedisKeys.TelemetryRate(device.DeviceId, DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60);
        await Eventually.TrueAsync(async () => (long)await redis.StringGetAsync(key) == Budget, TimeSpan.FromSeconds(5), "the accepted requests counted in Redis", Cancellation);
        (await redis.KeyTimeToLiveAsync(key)).ShouldNotBeNull().ShouldBeInRange(TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(2));
    }

    /// <summary>A test's requests must fall in one fixed minute: it starts in the next one when less than 20 s are left.</summary>
    private static async Task WaitForRoomInTheMinuteAsync()
    {
        var now = DateTimeOffset.UtcNow;
        if (now.Second >= 40)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - now.Second), Cancellation);
        }
    }

    /// <summary>Two APIs on one database and one Redis database, with a budget of 20 requests a minute.</summary>
    public sealed class Fixture(BackingServers servers) : IAsyncLifetime
    {
        private static readonly Dictionary<string, string?> Settings = new()
        {
            ["Fleet:Telemetry:RequestsPerDevicePerMinute"] = Budget.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fleet:Telemetry:RateFlushInterval"] = "00:00:00.050",
        };

        public ApiFactory First { get; private set; } = null!;

        public ApiFactory Second { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            First = await ApiFactory.StartAsync(servers, TestContext.Current.CancellationToken, Settings);
            Second = new ApiFactory(First.DatabaseConnectionString, servers.RedisConnectionString,
                new Dictionary<string, string?>(Settings) { ["ConnectionStrings:cache"] = First.RedisConnectionString });
            using var client = Second.CreateClient();
            await Eventually.TrueAsync(async () => (await client.GetAsync("/health", TestContext.Current.CancellationToken)).IsSuccessStatusCode,
                TimeSpan.FromSeconds(60), "the second API to report healthy", TestContext.Current.CancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            await Second.DisposeAsync();
            await First.DisposeAsync();
        }
    }
}
