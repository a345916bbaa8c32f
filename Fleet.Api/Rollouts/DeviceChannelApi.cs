using Fleet.Api.Infrastructure;
using Fleet.Contracts;

namespace Fleet.Api.Rollouts;

/// <summary><c>GET /api/v1/device/channel</c>: the device's WebSocket (device key auth), served by <see cref="DeviceChannelHub"/>.</summary>
public static class DeviceChannelApi
{
    public static IEndpointRouteBuilder MapDeviceChannel(this IEndpointRouteBuilder app)
    {
        app.MapGet(DeviceChannel.Route, ConnectAsync)
            .WithTags("Device")
            .AddEndpointFilter<DeviceAuthFilter>()
            .WithSummary("WebSocket: the server sends update offers; the device sends progress, each answered by an ack")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }

    public static async Task<IResult> ConnectAsync(HttpContext http, CurrentDevice device, DeviceChannelHub hub)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "WebSocket required",
                detail: "Connect with a WebSocket upgrade request.");
        }

        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        await hub.RunAsync(device.Id, socket, http.RequestAborted);
        return TypedResults.Empty;
    }
}
