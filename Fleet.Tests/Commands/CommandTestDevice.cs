using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Fleet.Tests.Commands;

/// <summary>A registered device with a real WebSocket to the API's device channel, speaking the command messages.</summary>
public sealed class CommandTestDevice(Guid id, string key, WebApplicationFactory<Fleet.Api.Infrastructure.FleetDbContext> api) : IDisposable
{
    private static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(15);
    private WebSocket? _socket;

    public Guid Id => id;

    public string Key => key;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static async Task<CommandTestDevice> RegisterAsync(
        WebApplicationFactory<Fleet.Api.Infrastructure.FleetDbContext> api, IReadOnlyList<string>? tags = null)
    {
        using var anonymous = api.CreateClient();
        var request = DeviceClient.Registration($"CMD-{Guid.NewGuid():N}") with { Tags = tags };
        using var response = await anonymous.PostAsJsonAsync(FleetHttp.RegisterRoute, request, Cancellation);
        var registered = (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RegisterDeviceResponse>(Cancellation))!;
        return new CommandTestDevice(registered.DeviceId, registered.DeviceKey, api);
    }

    public async Task ConnectAsync()
    {
        var client = api.Server.CreateWebSocketClient();
        client.ConfigureRequest = request => request.Headers.Authorization = $"{FleetHttp.DeviceAuthScheme} {key}";
        _socket = await client.ConnectAsync(new Uri(api.Server.BaseAddress, DeviceChannel.Route), Cancellation);
    }

    public async Task DisconnectAsync()
    {
        await _socket!.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", Cancellation);
        _socket.Dispose();
        _socket = null;
    }

    /// <summary>The next command the server sends.</summary>
    public async Task<CommandMessage> ReceiveCommandAsync()
    {
        while (true)
        {
            var message = await ReceiveAsync();
            if (message.GetProperty("type").GetString() == CommandChannel.Command)
            {
                return message.Deserialize<CommandMessage>(JsonSerializerOptions.Web)!;
            }
        }
    }

    /// <summary>Reports a state and returns the server's answer, passing over commands (resends) that arrive meanwhile.</summary>
    public async Task<CommandReportAck> ReportAsync(Guid commandId, string state, string? reason = null) =>
        await SendAndReceiveAckAsync(new CommandReport(CommandChannel.Report, commandId, state, reason));

    public async Task<CommandReportAck> SendAndReceiveAckAsync<T>(T message)
    {
        await _socket!.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message, JsonSerializerOptions.Web), WebSocketMessageType.Text, true, Cancellation);
        while (true)
        {
            var reply = await ReceiveAsync();
            if (reply.GetProperty("type").GetString() != CommandChannel.Command)
            {
                return reply.Deserialize<CommandReportAck>(JsonSerializerOptions.Web)!;
            }
        }
    }

    private async Task<JsonElement> ReceiveAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(ReceiveTimeout);
        var buffer = new byte[64 * 1024];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await _socket!.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
            length += result.Count;
        }
        while (!result.EndOfMessage);

        return JsonSerializer.Deserialize<JsonElement>(buffer.AsSpan(0, length), JsonSerializerOptions.Web);
    }

    public void Dispose() => _socket?.Dispose();
}
