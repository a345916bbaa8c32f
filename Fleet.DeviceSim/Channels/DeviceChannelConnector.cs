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
/// The channel as a WebSocket opened by <see cref="WebSocketUpgrade"/> (not <see cref="ClientWebSocket"/>, whose HTTP
/// connection would stay behind every socket). The API's replicas come from service discovery's configuration
/// (<c>services:api:https:N</c>, else <c>services:api:http:N</c>, as the AppHost injects them). Connections take the
/// replicas in turn, and one a replica refuses goes on to the next at once, so a device whose replica died reconnects
/// to a survivor.
/// </summary>
public sealed class WebSocketChannelConnector(IConfiguration configuration) : IDeviceChannelConnector
{
    private readonly Lazy<IReadOnlyList<Uri>> _channels = new(() => ChannelUris(configuration));
    private int _next = -1;

    public async Task<WebSocket> ConnectAsync(string deviceKey, CancellationToken cancellationToken)
    {
        var channels = _channels.Value;
        var first = (int)((uint)Interlocked.Increment(ref _next) % (uint)channels.Count);
        var authorization = $"{FleetHttp.DeviceAuthScheme} {deviceKey}";
        for (var tried = 1; ; tried++)
        {
            try
            {
                return await WebSocketUpgrade.ConnectAsync(channels[(first + tried - 1) % channels.Count], authorization, WebSocket.DefaultKeepAliveInterval, cancellationToken);
            }
            catch (WebSocketException) when (tried < channels.Count && !cancellationToken.IsCancellationRequested)
            {
                // This replica refused or is gone: the next one, at once.
            }
        }
    }

    /// <summary>The channel's address on every API replica service discovery names.</summary>
    public static IReadOnlyList<Uri> ChannelUris(IConfiguration configuration)
    {
        var endpoints = Endpoints(configuration, "https") is { Count: > 0 } https ? https : Endpoints(configuration, "http");
        if (endpoints.Count == 0)
        {
            throw new InvalidOperationException("The API's address is not configured (services__api__http__0); run through Fleet.AppHost.");
        }

        return [.. endpoints.Select(api =>
        {
            var builder = new UriBuilder(new Uri(new Uri(api), DeviceChannel.Route));
            builder.Scheme = builder.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
            return builder.Uri;
        })];
    }

    private static List<string> Endpoints(IConfiguration configuration, string scheme) =>
        [.. configuration.GetSection($"services:api:{scheme}").GetChildren()
            .Where(endpoint => int.TryParse(endpoint.Key, out _) && !string.IsNullOrWhiteSpace(endpoint.Value))
            .OrderBy(endpoint => int.Parse(endpoint.Key, System.Globalization.CultureInfo.InvariantCulture))
            .Select(endpoint => endpoint.Value!)];
}
