using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Fleet.Contracts;
using Fleet.DeviceSim.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.DeviceSim;

public sealed class ChannelConnectorTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public void The_channel_is_addressed_on_every_api_replica_service_discovery_names_in_order()
    {
        var configuration = Configuration(("services:api:http:1", "http://127.0.0.1:5002"), ("services:api:http:0", "http://127.0.0.1:5001"));

        WebSocketChannelConnector.ChannelUris(configuration).Select(uri => uri.ToString()).ShouldBe(
            ["ws://127.0.0.1:5001/api/v1/device/channel", "ws://127.0.0.1:5002/api/v1/device/channel"]);
    }

    [Fact]
    public void Without_an_api_address_the_connector_says_how_to_run_it()
    {
        Should.Throw<InvalidOperationException>(() => WebSocketChannelConnector.ChannelUris(Configuration()))
            .Message.ShouldContain("services__api__http__0");
    }

    [Fact]
    public async Task A_device_whose_replica_is_gone_connects_to_a_survivor_every_time()
    {
        await using var survivor = await StartChannelAsync();
        var connector = new WebSocketChannelConnector(Configuration(("services:api:http:0", $"http://127.0.0.1:{ClosedPort()}"), ("services:api:http:1", Address(survivor))));

        for (var attempt = 0; attempt < 4; attempt++)
        {
            using var socket = await connector.ConnectAsync("key", Cancellation);
            socket.State.ShouldBe(WebSocketState.Open);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Cancellation);
        }
    }

    [Fact]
    public async Task With_every_replica_gone_the_connect_fails_for_the_device_to_back_off()
    {
        var connector = new WebSocketChannelConnector(Configuration(("services:api:http:0", $"http://127.0.0.1:{ClosedPort()}"), ("services:api:http:1", $"http://127.0.0.1:{ClosedPort()}")));

        await Should.ThrowAsync<WebSocketException>(() => connector.ConnectAsync("key", Cancellation));
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    /// <summary>A real listener (WebSockets need a socket, not a test server) that accepts the channel and waits for the close.</summary>
    private static async Task<WebApplication> StartChannelAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.UseWebSockets();
        app.Map(DeviceChannel.Route, async (HttpContext context) =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var result = await socket.ReceiveAsync(new byte[64], context.RequestAborted);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
            }
        });
        await app.StartAsync(Cancellation);
        return app;
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();

    /// <summary>A port nothing listens on: bound for a moment, then released.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
