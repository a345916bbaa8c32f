using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Fleet.Tests.Rollouts;

public sealed class DeviceChannelTests(RolloutControllerFixture fixture) : IClassFixture<RolloutControllerFixture>
{
    private static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(15);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_connected_device_gets_its_offer_when_enrolled_and_its_progress_completes_the_rollout()
    {
        var (deviceId, key) = await RegisterAsync();
        using var socket = await ConnectAsync(fixture.Api, key);
        var (rollout, release) = await StartAsync(deviceId);

        (await TickAsync()).Enrolled.ShouldBeGreaterThanOrEqualTo(1);

        var offer = await ReceiveAsync<UpdateOffer>(socket);
        offer.ShouldBe(new UpdateOffer("offer", rollout.Id, release.Id, release.Version, release.Sha256, release.Size, FirmwareHttp.Download(release.Id)));
        await Eventually.TrueAsync(async () => (await StateAsync(rollout.Id)) == "offered", ReceiveTimeout, "the offer to be recorded", Cancellation);
        foreach (var state in new[] { "downloading", "downloaded", "installing", "rebooting", "healthy" })
        {
            await SendAsync(socket, new UpdateProgress("progress", rollout.Id, state));
            (await ReceiveAckAsync(socket)).ShouldBe(new ProgressAck("ack", rollout.Id, state, "recorded"));
        }

        await TickAsync();
        (await fixture.Operator.GetFromJsonAsync<RolloutResponse>(RolloutHttp.Rollout(rollout.Id), Cancellation))!.State.ShouldBe("completed");
    }

    [Fact]
    public async Task A_device_that_was_offline_gets_its_offer_on_connect_and_again_on_reconnect()
    {
        var (deviceId, key) = await RegisterAsync();
        var (rollout, release) = await StartAsync(deviceId);
        await TickAsync();
        (await StateAsync(rollout.Id)).ShouldBe("pending");

        using (var first = await ConnectAsync(fixture.Api, key))
        {
            (await ReceiveAsync<UpdateOffer>(first)).ReleaseId.ShouldBe(release.Id);
            await SendAsync(first, new UpdateProgress("progress", rollout.Id, "downloading"));
            (await ReceiveAckAsync(first)).Outcome.ShouldBe("recorded");
            await first.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", Cancellation);
        }

        using var second = await ConnectAsync(fixture.Api, key);
        var again = await ReceiveAsync<UpdateOffer>(second);
        again.RolloutId.ShouldBe(rollout.Id);
        (await StateAsync(rollout.Id)).ShouldBe("downloading");
    }

    [Fact]
    public async Task An_offer_reaches_the_device_through_the_replica_that_holds_its_socket()
    {
        var (deviceId, key) = await RegisterAsync();
        using var otherReplica = fixture.Api.WithWebHostBuilder(_ => { });
        using var socket = await ConnectAsync(otherReplica, key);
        var (rollout, release) = await StartAsync(deviceId);

        await TickAsync();

        (await ReceiveAsync<UpdateOffer>(socket)).ShouldSatisfyAllConditions(
            offer => offer.RolloutId.ShouldBe(rollout.Id),
            offer => offer.Sha256.ShouldBe(release.Sha256));
        await Eventually.TrueAsync(async () => (await StateAsync(rollout.Id)) == "offered", ReceiveTimeout, "the routed offer to be recorded", Cancellation);
    }

    [Fact]
    public async Task A_rolled_back_rollout_tells_its_devices_to_go_back_at_once_and_again_on_reconnect()
    {
        var (deviceId, key) = await RegisterAsync();
        var (rollout, release) = await StartAsync(deviceId);
        using (var socket = await ConnectAsync(fixture.Api, key))
        {
            await TickAsync();
            (await ReceiveAsync<UpdateOffer>(socket)).RolloutId.ShouldBe(rollout.Id);
            await SendAsync(socket, new UpdateProgress("progress", rollout.Id, "healthy"));
            (await ReceiveAckAsync(socket)).Outcome.ShouldBe("recorded");

            using var rollback = await fixture.Operator.ActAsync(rollout.Id, "rollback", Cancellation, "bad build");
            rollback.StatusCode.ShouldBe(HttpStatusCode.OK);

            (await ReceiveAsync<RollbackRequest>(socket)).ShouldBe(new RollbackRequest("rollback", rollout.Id, release.Id));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "rebooting", Cancellation);
        }

        using var again = await ConnectAsync(fixture.Api, key);
        (await ReceiveAsync<RollbackRequest>(again)).RolloutId.ShouldBe(rollout.Id);
        await SendAsync(again, new UpdateProgress("progress", rollout.Id, "rolled-back", "back on slot A"));
        (await ReceiveAckAsync(again)).Outcome.ShouldBe("recorded");
        var device = (await fixture.Operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(rollout.Id)}/devices", Cancellation))!.Items.Single();
        (device.State, device.RollbackRequested, device.Reason).ShouldBe(("rolled-back", false, "back on slot A"));
    }

    [Fact]
    public async Task Bad_messages_get_an_error_and_the_channel_stays_open()
    {
        var (deviceId, key) = await RegisterAsync();
        var (rollout, _) = await StartAsync(deviceId);
        using var socket = await ConnectAsync(fixture.Api, key);

        await socket.SendAsync(Encoding.UTF8.GetBytes("{not json"), WebSocketMessageType.Text, true, Cancellation);
        (await ReceiveAckAsync(socket)).Type.ShouldBe("error");
        await SendAsync(socket, new UpdateProgress("progress", rollout.Id, "pending"));
        (await ReceiveAckAsync(socket)).Type.ShouldBe("error");
        await SendAsync(socket, new UpdateProgress("progress", Guid.NewGuid(), "healthy"));
        (await ReceiveAckAsync(socket)).Outcome.ShouldBe("not-found");
        await SendAsync(socket, new UpdateProgress("progress", rollout.Id, "healthy"));
        (await ReceiveAckAsync(socket)).Outcome.ShouldBe("illegal");

        socket.State.ShouldBe(WebSocketState.Open);
        (await fixture.Operator.ActAsync(rollout.Id, "abort", Cancellation)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_connected_device_whose_offer_was_lost_is_offered_again_after_the_per_device_timeout()
    {
        var (deviceId, key) = await RegisterAsync();
        using var socket = await ConnectAsync(fixture.Api, key);
        var (rollout, release) = await StartAsync(deviceId);
        // Enrolled by a leader that died before it offered (or whose routed offer went to a dead replica): pending, never sent.
        await Sql.ExecuteAsync(fixture.DatabaseConnectionString,
            "UPDATE rollout_devices SET state = 'pending', enrolled_at = $2, state_changed_at = $2 WHERE rollout_id = $1", Cancellation, rollout.Id, fixture.Clock.GetUtcNow());
        await TickAsync();
        (await StateAsync(rollout.Id)).ShouldBe("pending");

        fixture.Clock.Advance(RolloutPlanSettings.From(null).PerDeviceTimeout + TimeSpan.FromSeconds(1));
        (await TickAsync()).Retried.ShouldBeGreaterThanOrEqualTo(1);

        (await ReceiveAsync<UpdateOffer>(socket)).ShouldBe(new UpdateOffer("offer", rollout.Id, release.Id, release.Version, release.Sha256, release.Size, FirmwareHttp.Download(release.Id)));
        await Eventually.TrueAsync(async () => (await StateAsync(rollout.Id)) == "offered", ReceiveTimeout, "the offer to be recorded", Cancellation);
        (await fixture.Operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(rollout.Id)}/devices", Cancellation))!.Items.Single().Attempts.ShouldBe(0);
        (await fixture.Operator.ActAsync(rollout.Id, "abort", Cancellation)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_channel_needs_a_device_key_and_a_websocket()
    {
        var client = fixture.Api.Server.CreateWebSocketClient();
        var refused = await Should.ThrowAsync<InvalidOperationException>(() => client.ConnectAsync(ChannelUri(fixture.Api), Cancellation));
        refused.Message.ShouldContain("401");

        var (_, key) = await RegisterAsync();
        using var plain = new HttpRequestMessage(HttpMethod.Get, DeviceChannel.Route);
        plain.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, key);
        (await fixture.Operator.SendAsync(plain, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    private async Task<(Guid DeviceId, string Key)> RegisterAsync()
    {
        using var anonymous = fixture.Api.CreateClient();
        var registered = await anonymous.RegisterDeviceAsync($"CH-{Guid.NewGuid():N}", Cancellation);
        return (registered.DeviceId, registered.DeviceKey);
    }

    private async Task<(RolloutResponse Rollout, FirmwareReleaseResponse Release)> StartAsync(Guid deviceId)
    {
        var release = await fixture.Operator.PublishReleaseAsync(Cancellation);
        var rollout = await fixture.Operator.CreateRolloutAsync(new CreateRolloutRequest(
            release.Id,
            new RolloutTarget(DeviceIds: [deviceId]),
            new RolloutPlan(Phases: [new RolloutPhase(100, TimeSpan.Zero, 1, 0)])), Cancellation);
        using var started = await fixture.Operator.ActAsync(rollout.Id, "start", Cancellation);
        started.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (rollout, release);
    }

    private Task<RolloutTickReport> TickAsync() => fixture.Engine.TickAsync(Cancellation);

    private async Task<string> StateAsync(Guid rolloutId) =>
        (await fixture.Operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(rolloutId)}/devices", Cancellation))!.Items.Single().State;

    private static Uri ChannelUri(WebApplicationFactory<Fleet.Api.Infrastructure.FleetDbContext> api) => new(api.Server.BaseAddress, DeviceChannel.Route);

    private static async Task<WebSocket> ConnectAsync(WebApplicationFactory<Fleet.Api.Infrastructure.FleetDbContext> api, string key)
    {
        var client = api.Server.CreateWebSocketClient();
        client.ConfigureRequest = request => request.Headers.Authorization = $"{FleetHttp.DeviceAuthScheme} {key}";
        return await client.ConnectAsync(ChannelUri(api), Cancellation);
    }

    private static Task SendAsync<T>(WebSocket socket, T message) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message, JsonSerializerOptions.Web), WebSocketMessageType.Text, true, Cancellation);

    private static async Task<T> ReceiveAsync<T>(WebSocket socket)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(ReceiveTimeout);
        var buffer = new byte[64 * 1024];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
            length += result.Count;
        }
        while (!result.EndOfMessage);

        return JsonSerializer.Deserialize<T>(buffer.AsSpan(0, length), JsonSerializerOptions.Web)!;
    }

    /// <summary>
    /// The next acknowledgement, passing over repeated offers: an offer pushed by a tick can race the one the channel
    /// re-sends on connect, and a device takes the same offer twice without harm.
    /// </summary>
    private static async Task<ProgressAck> ReceiveAckAsync(WebSocket socket)
    {
        while (true)
        {
            var message = await ReceiveAsync<JsonElement>(socket);
            var type = message.GetProperty("type").GetString();
            if (type != "offer")
            {
                return message.Deserialize<ProgressAck>(JsonSerializerOptions.Web)!;
            }
        }
    }
}
