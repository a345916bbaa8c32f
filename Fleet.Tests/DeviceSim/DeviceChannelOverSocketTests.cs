using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Fleet.Contracts;
using Fleet.DeviceSim;
using Fleet.DeviceSim.Channels;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Identity;
using Fleet.DeviceSim.Updates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet.Tests.DeviceSim;

/// <summary>A device's channel over a real socket (the simulator's own upgrade), against a listener that plays the API.</summary>
public sealed class DeviceChannelOverSocketTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_command_larger_than_the_first_buffer_and_sent_in_fragments_is_run_and_reported()
    {
        var settings = Enumerable.Range(0, 20).ToDictionary(i => $"setting{i:D2}", i => new string((char)('a' + i), 200));
        var command = new CommandMessage(CommandChannel.Command, Guid.NewGuid(), CommandNames.SetConfig,
            settings.ToDictionary(setting => setting.Key, setting => JsonSerializer.SerializeToElement(setting.Value)), DateTimeOffset.UtcNow.AddMinutes(5));
        var message = JsonSerializer.SerializeToUtf8Bytes(command, JsonSerializerOptions.Web);
        message.Length.ShouldBeGreaterThan(4096);
        var reports = Channel.CreateUnbounded<CommandReport>();
        await using var api = await StartApiAsync(message, reports.Writer);
        var tuning = new SimulatorTuning();
        var device = new VirtualDevice(1, tuning, DateTimeOffset.UtcNow);
        device.Registered(new DeviceIdentity(Guid.NewGuid(), "key-1"), DateTimeOffset.UtcNow);
        using var channels = Channels(api, tuning);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);

        var running = channels.RunAsync([device], stopping.Token);

        var states = new List<string>();
        while (!states.Contains(CommandStates.Completed))
        {
            var report = await reports.Reader.ReadAsync(Cancellation);
            report.CommandId.ShouldBe(command.CommandId);
            states.Add(report.State);
        }

        states.ShouldBe([CommandStates.Accepted, CommandStates.Completed]);
        device.Config.OrderBy(setting => setting.Key).ShouldBe(settings.OrderBy(setting => setting.Key));
        await stopping.CancelAsync();
        await running;
    }

    private static DeviceChannels Channels(WebApplication api, SimulatorTuning tuning)
    {
        var options = Options.Create(new SimulatorOptions { Devices = 1, EnrollmentToken = "unused", Simulator = tuning });
        var status = new SimulatorStatus();
        var faults = new FaultInjector(tuning.Faults, tuning.Seed);
        var downloader = new FirmwareDownloader(new FleetApiClient(new HttpClient()), faults, status, options, TimeProvider.System, NullLogger<FirmwareDownloader>.Instance);
        var connector = new WebSocketChannelConnector(new ConfigurationBuilder()
            .AddInMemoryCollection([KeyValuePair.Create("services:api:http:0", (string?)Address(api))]).Build());
        return new DeviceChannels(connector, downloader, faults, status, options, TimeProvider.System, NullLogger<DeviceChannels>.Instance);
    }

    /// <summary>Sends the command in three fragments once the device connects, then passes on every report it gets.</summary>
    private static async Task<WebApplication> StartApiAsync(byte[] command, ChannelWriter<CommandReport> reports)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.UseWebSockets();
        app.Map(DeviceChannel.Route, async (HttpContext context) =>
        {
            if (context.Request.Headers.Authorization != $"{FleetHttp.DeviceAuthScheme} key-1")
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var third = command.Length / 3;
            await socket.SendAsync(command.AsMemory(0, third), WebSocketMessageType.Text, endOfMessage: false, context.RequestAborted);
            await socket.SendAsync(command.AsMemory(third, third), WebSocketMessageType.Text, endOfMessage: false, context.RequestAborted);
            await socket.SendAsync(command.AsMemory(2 * third), WebSocketMessageType.Text, endOfMessage: true, context.RequestAborted);
            var buffer = new byte[4096];
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                // Reports are small: one frame each.
                var report = JsonSerializer.Deserialize<CommandReport>(buffer.AsSpan(0, result.Count), JsonSerializerOptions.Web)!;
                await reports.WriteAsync(report, context.RequestAborted);
            }
        });
        await app.StartAsync(Cancellation);
        return app;
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
}
