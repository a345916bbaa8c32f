using System.Net.WebSockets;
using Fleet.Contracts;

namespace Fleet.DeviceSim.Channels;

/// <summary>Opens one device's WebSocket to <c>GET /api/v1/device/channel</c>, authenticated by its key.</summary>
public interface IDeviceChannelConnector
{
    /// <exception cref="WebSocketException">The API refused or could not be reached.</exception>
    Task<WebSocket> ConnectAsync(string deviceKey, CancellationToken cancellationToken);
}

/// <summary>
/// The channel over <see cref="ClientWebSocket"/>. The API's address comes from service discovery's configuration
/// (<c>services:api:https:0</c> or <c>services:api:http:0</c>, as the AppHost injects it); every socket shares the
/// runtime's one connection handler, so ten thousand devices cost ten thousand sockets and nothing more.
/// </summary>
public sealed class ClientWebSocketConnector(IConfiguration configuration) : IDeviceChannelConnector
{
    private readonly Lazy<Uri> _channel = new(() => ChannelUri(configuration));

    public async Task<WebSocket> ConnectAsync(string deviceKey, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"{FleetHttp.DeviceAuthScheme} {deviceKey}");
        try
        {
            await socket.ConnectAsync(_channel.Value, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static Uri ChannelUri(IConfiguration configuration)
    {
        var api = configuration["services:api:https:0"] is { Length: > 0 } https ? https
            : configuration["services:api:http:0"] is { Length: > 0 } http ? http
            : throw new InvalidOperationException("The API's address is not configured (services__api__http__0); run through Fleet.AppHost.");
        var builder = new UriBuilder(new Uri(new Uri(api), DeviceChannel.Route));
        builder.Scheme = builder.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        return builder.Uri;
    }
}
