using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Rollouts;

/// <summary>
/// A device that misbehaves on its channel (garbage, huge frames, floods, other devices' ids, control characters) gets
/// an error or a close; the hub keeps serving every other device, and nothing of another device changes.
/// </summary>
public sealed class DeviceChannelAbuseTests(RolloutControllerFixture fixture) : IClassFixture<RolloutControllerFixture>
{
    private static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(15);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Progress_for_another_devices_rollout_is_not_found_and_changes_nothing_of_it()
    {
        var (victimId, _) = await RegisterAsync();
        var (_, attackerKey) = await RegisterAsync();
        var rollout = await StartAsync(victimId);
        await fixture.Engine.TickAsync(Cancellation);
        var before = await StateAsync(rollout.Id);
        using var attacker = await ConnectAsync(attackerKey);

        foreach (var state in new[] { "downloading", "failed", "rolled-back" })
        {
            await SendTextAsync(attacker, JsonSerializer.Serialize(new UpdateProgress("progress", rollout.Id, state), JsonSerializerOptions.Web));
            (await ReceiveReplyAsync(attacker)).GetProperty("outcome").GetString().ShouldBe("not-found");
        }

        (await StateAsync(rollout.Id)).ShouldBe(before);
    }

    [Fact]
    public async Task A_report_for_a_command_the_device_was_never_sent_is_not_found()
    {
        var (_, key) = await RegisterAsync();
        using var socket = await ConnectAsync(key);

        await SendTextAsync(socket, JsonSerializer.Serialize(new CommandReport("command-status", Guid.NewGuid(), "completed"), JsonSerializerOptions.Web));

        (await ReceiveReplyAsync(socket)).GetProperty("outcome").GetString().ShouldBe("not-found");
        socket.State.ShouldBe(WebSocketState.Open);
    }

    [Theory]
    [InlineData("progress")]
    [InlineData("command-status")]
    public async Task A_reason_with_control_characters_is_unreadable_not_a_store_failure(string type)
    {
        var (deviceId, key) = await RegisterAsync();
        var rollout = await StartAsync(deviceId);
        using var socket = await ConnectAsync(key);
        await fixture.Engine.TickAsync(Cancellation);

        var message = type == "progress"
            ? JsonSerializer.Serialize(new UpdateProgress("progress", rollout.Id, "failed", "bad\u0000byte"), JsonSerializerOptions.Web)
            : JsonSerializer.Serialize(new CommandReport("command-status", Guid.NewGuid(), "failed", "bad\u0000byte"), JsonSerializerOptions.Web);
        await SendTextAsync(socket, message);

        var reply = await ReceiveReplyAsync(socket);
        (reply.GetProperty("type").GetString(), reply.GetProperty("outcome").GetString()).ShouldBe(("error", "unreadable"));
        (await StateAsync(rollout.Id)).ShouldNotBe("failed");
        socket.State.ShouldBe(WebSocketState.Open);
    }

    [Fact]
    public async Task A_huge_frame_closes_that_socket_and_another_device_is_served_as_before()
    {
        var (_, bystanderKey) = await RegisterAsync();
        var (_, key) = await RegisterAsync();
        using var bystander = await ConnectAsync(bystanderKey);
        using var socket = await ConnectAsync(key);

        await socket.SendAsync(new byte[1024 * 1024], WebSocketMessageType.Binary, true, Cancellation);

        (await ReceiveCloseAsync(socket)).ShouldBe(WebSocketCloseStatus.MessageTooBig);
        await SendTextAsync(bystander, "{not json");
        (await ReceiveReplyAsync(bystander)).GetProperty("type").GetString().ShouldBe("error");
    }

    [Fact]
    public async Task Invalid_utf8_and_deep_nesting_get_an_error_and_the_channel_stays_open()
    {
        var (_, key) = await RegisterAsync();
        using var socket = await ConnectAsync(key);

        await socket.SendAsync(new byte[] { 0xC3, 0x28, 0xFF, 0xFE }, WebSocketMessageType.Text, true, Cancellation);
        (await ReceiveReplyAsync(socket)).GetProperty("type").GetString().ShouldBe("error");
        await SendTextAsync(socket, new string('[', 5000) + new string(']', 5000));
        (await ReceiveReplyAsync(socket)).GetProperty("type").GetString().ShouldBe("error");

        socket.State.ShouldBe(WebSocketState.Open);
    }

    [Fact]
    public async Task A_flood_of_messages_closes_the_socket_with_a_policy_violation()
    {
        var (_, key) = await RegisterAsync();
        using var socket = await ConnectAsync(key);

        for (var i = 0; i < 300; i++)
        {
            await SendTextAsync(socket, "{}");
        }

        (await ReceiveCloseAsync(socket)).ShouldBe(WebSocketCloseStatus.PolicyViolation);
    }

    private async Task<(Guid DeviceId, string Key)> RegisterAsync()
    {
        using var anonymous = fixture.Api.CreateClient();
        var registered = await anonymous.RegisterDeviceAsync($"AB-{Guid.NewGuid():N}", Cancellation);
        return (registered.DeviceId, registered.DeviceKey);
    }

    private async Task<RolloutResponse> StartAsync(Guid deviceId)
    {
        var release = await fixture.Operator.PublishReleaseAsync(Cancellation);
        var rollout = await fixture.Operator.CreateRolloutAsync(new CreateRolloutRequest(
            release.Id, new RolloutTarget(DeviceIds: [deviceId]), new RolloutPlan(Phases: [new RolloutPhase(100, TimeSpan.Zero, 1, 0)])), Cancellation);
        using var started = await fixture.Operator.ActAsync(rollout.Id, "start", Cancellation);
        started.StatusCode.ShouldBe(HttpStatusCode.OK);
        return rollout;
    }

    private async Task<string> StateAsync(Guid rolloutId) =>
        (await fixture.Operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(rolloutId)}/devices", Cancellation))!.Items.Single().State;

    private async Task<WebSocket> ConnectAsync(string key)
    {
        var client = fixture.Api.Server.CreateWebSocketClient();
        client.ConfigureRequest = request => request.Headers.Authorization = $"{FleetHttp.DeviceAuthScheme} {key}";
        return await client.ConnectAsync(new Uri(fixture.Api.Server.BaseAddress, DeviceChannel.Route), Cancellation);
    }

    private static Task SendTextAsync(WebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, Cancellation);

    /// <summary>The next message that is not an offer (offers can arrive at any time once a rollout runs).</summary>
    private static async Task<JsonElement> ReceiveReplyAsync(WebSocket socket)
    {
        while (true)
        {
            var (message, _) = await ReceiveAsync(socket);
            var reply = JsonSerializer.Deserialize<JsonElement>(message!);
            if (reply.GetProperty("type").GetString() != "offer")
            {
                return reply;
            }
        }
    }

    /// <summary>Reads past replies until the server closes; its close status.</summary>
    private static async Task<WebSocketCloseStatus?> ReceiveCloseAsync(WebSocket socket)
    {
        while (true)
        {
            var (message, status) = await ReceiveAsync(socket);
            if (message is null)
            {
                return status;
            }
        }
    }

    private static async Task<(string? Text, WebSocketCloseStatus? CloseStatus)> ReceiveAsync(WebSocket socket)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(ReceiveTimeout);
        var buffer = new byte[64 * 1024];
        var length = 0;
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), timeout.Token);
            length += result.Count;
        }
        while (!result.EndOfMessage);

        return result.MessageType == WebSocketMessageType.Close ? (null, result.CloseStatus) : (Encoding.UTF8.GetString(buffer, 0, length), null);
    }
}
