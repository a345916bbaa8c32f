using System.Net;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Api;

/// <summary>Heartbeats have a per-device budget per fixed minute like telemetry's; past it, 429 with Retry-After and nothing recorded.</summary>
public sealed class HeartbeatRateLimitTests(HeartbeatRateLimitTests.Fixture fixture) : IClassFixture<HeartbeatRateLimitTests.Fixture>, IDisposable
{
    private const int Budget = 5;
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Heartbeats_past_the_budget_are_429_with_Retry_After_and_another_device_is_not_affected()
    {
        if (DateTimeOffset.UtcNow.Second >= 50)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - DateTimeOffset.UtcNow.Second), Cancellation);
        }

        var flooding = await _http.RegisterDeviceAsync("BEAT-RATE-FLOOD", Cancellation);
        var quiet = await _http.RegisterDeviceAsync("BEAT-RATE-QUIET", Cancellation);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < Budget + 10; i++)
        {
            var response = await HeartbeatAsync(flooding.DeviceKey);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused?.Dispose();
                refused = response;
            }
            else
            {
                response.Dispose();
            }
        }

        statuses.Count(s => s == HttpStatusCode.Accepted).ShouldBe(Budget);
        statuses.Skip(Budget).ShouldAllBe(s => s == HttpStatusCode.TooManyRequests);
        using (refused)
        {
            refused!.Headers.RetryAfter!.Delta!.Value.ShouldBeInRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
            refused.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        }

        using var other = await HeartbeatAsync(quiet.DeviceKey);
        other.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    private Task<HttpResponseMessage> HeartbeatAsync(string key) =>
        _http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, key, JsonContent.Create(new HeartbeatRequest(80, -60, "1.0.0", "A", 100)), Cancellation);

    public void Dispose() => _http.Dispose();

    /// <summary>An API whose devices may send 5 heartbeats a minute.</summary>
    public sealed class Fixture(BackingServers servers) : IAsyncLifetime
    {
        public ApiFactory Api { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Api = await ApiFactory.StartAsync(servers, TestContext.Current.CancellationToken,
            new Dictionary<string, string?> { ["Fleet:Heartbeats:RequestsPerDevicePerMinute"] = "5" });

        public async ValueTask DisposeAsync() => await Api.DisposeAsync();
    }
}
