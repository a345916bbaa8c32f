using System.Net.WebSockets;
using System.Text.Json;
using Fleet.Contracts;

namespace Fleet.RolloutBench;

/// <summary>
/// A device that holds its channel open and, on an offer, reports every update step at once through to healthy —
/// so the rollout's pace is the controller's, not a device's download or reboot.
/// </summary>
internal sealed class BenchDevice : IDisposable
{
    private static readonly string[] Steps = ["downloading", "downloaded", "installing", "rebooting", "healthy"];

    private readonly ClientWebSocket _socket;
    private readonly CancellationTokenSource _stop = new();

    private BenchDevice(ClientWebSocket socket)
    {
        _socket = socket;
        _ = Task.Run(ReceiveAsync);
    }

    public static async Task<BenchDevice> ConnectAsync(Uri api, string key, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"{FleetHttp.DeviceAuthScheme} {key}");
        var uri = new UriBuilder(api) { Scheme = api.Scheme == "https" ? "wss" : "ws", Path = DeviceChannel.Route }.Uri;
        await socket.ConnectAsync(uri, cancellationToken);
        return new BenchDevice(socket);
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), _stop.Token);
                    length += result.Count;
                }
                while (!result.EndOfMessage && length < buffer.Length);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                using var message = JsonDocument.Parse(buffer.AsMemory(0, length));
                if (message.RootElement.GetProperty("type").GetString() != DeviceChannel.Offer)
                {
                    continue;
                }

                var rolloutId = message.RootElement.GetProperty("rolloutId").GetGuid();
                foreach (var step in Steps)
                {
                    var progress = JsonSerializer.SerializeToUtf8Bytes(new UpdateProgress(DeviceChannel.Progress, rolloutId, step), JsonSerializerOptions.Web);
                    await _socket.SendAsync(progress, WebSocketMessageType.Text, endOfMessage: true, _stop.Token);
                }
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The benchmark is over or the API went away; the rollout's numbers tell what was lost.
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _stop.Dispose();
    }
}
