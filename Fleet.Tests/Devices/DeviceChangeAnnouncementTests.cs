using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Web;
using StackExchange.Redis;

namespace Fleet.Tests.Devices;

/// <summary>The API announces what the device lists show besides status on <see cref="FleetChannels.DeviceChanges"/>, once per change.</summary>
public sealed class DeviceChangeAnnouncementTests(ApiFixture fixture, BackingServers servers) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http = fixture.Api.OperatorClient();
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(servers.RedisConnectionString);
    private readonly ConcurrentQueue<DeviceChangeMessage> _heard = new();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        // Subscribed before anything happens: pub/sub keeps nothing for late subscribers.
        var queue = await _redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(FleetChannels.DeviceChanges));
        queue.OnMessage(message => _heard.Enqueue(JsonSerializer.Deserialize<DeviceChangeMessage>(message.Message.ToString(), JsonSerializerOptions.Web)!));
    }

    [Fact]
    public async Task A_new_firmware_in_a_heartbeat_is_announced_once_with_what_it_replaced()
    {
        var device = await _http.RegisterDeviceAsync($"ANNOUNCE-FW-{Guid.NewGuid():N}", Cancellation);
        await HeartbeatAsync(device.DeviceKey, "1.0.0");
        await HeardAsync(device.DeviceId, "firmware", "unknown (slot ?) -> 1.0.0 (slot A)");

        await HeartbeatAsync(device.DeviceKey, "1.0.0");
        await HeartbeatAsync(device.DeviceKey, "2.0.0");

        await HeardAsync(device.DeviceId, "firmware", "1.0.0 (slot A) -> 2.0.0 (slot A)");
        // The repeated 1.0.0 changed nothing, so nothing was said about it.
        Changes(device.DeviceId).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Lifecycle_and_environment_changes_by_an_operator_are_announced()
    {
        var device = await _http.RegisterDeviceAsync($"ANNOUNCE-OP-{Guid.NewGuid():N}", Cancellation);

        using var suspended = await _http.PostAsync($"{FleetHttp.DevicesRoute}/{device.DeviceId}/suspend", null, Cancellation);
        using var moved = await _http.PutAsJsonAsync(DeviceEnvironments.Route(device.DeviceId), new DeviceEnvironmentRequest(DeviceEnvironments.Green), Cancellation);

        suspended.StatusCode.ShouldBe(HttpStatusCode.OK);
        moved.StatusCode.ShouldBe(HttpStatusCode.OK);
        await HeardAsync(device.DeviceId, "lifecycle", "active -> suspended");
        await HeardAsync(device.DeviceId, "environment", "blue -> green");
    }

    private async Task HeartbeatAsync(string key, string firmware)
    {
        using var response = await _http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, key,
            JsonContent.Create(new HeartbeatRequest(80, -60, firmware, "A", 100)), Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    private List<DeviceChangeMessage> Changes(Guid deviceId) => [.. _heard.Where(change => change.DeviceId == deviceId)];

    private Task HeardAsync(Guid deviceId, string kind, string detail) =>
        Eventually.TrueAsync(
            () => Task.FromResult(Changes(deviceId).Any(change => change.Kind == kind && change.Detail == detail)),
            Wait, $"the API to announce {kind} {detail} (heard: {string.Join("; ", Changes(deviceId))})", Cancellation);

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _redis.DisposeAsync();
    }
}
