using System.Buffers;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleet.Tests.Mqtt;

/// <summary>Commands down to MQTT devices and their reports back up, through the api's hub and the real broker.</summary>
public sealed class MqttDownlinkTests(MqttApiFixture fixture, BackingServers servers) : IClassFixture<MqttApiFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;
    private readonly HttpClient _http = fixture.Api.CreateClient();

    [Fact]
    public async Task A_connected_device_gets_a_command_with_its_expiry_and_its_reports_drive_the_command()
    {
        var registered = await _http.RegisterDeviceAsync($"MQTT-C-{Guid.NewGuid():N}", Cancellation);
        await using var device = await MqttDevice.ConnectAsync(servers, registered.DeviceId, registered.DeviceKey, Cancellation);
        var received = await OnlineAsync(device);

        var command = await SendAsync(new SendCommandRequest(CommandNames.Identify, DeviceId: registered.DeviceId, TtlSeconds: 600));

        var message = await received.Reader.ReadAsync(Cancellation).AsTask().WaitAsync(Deadline, Cancellation);
        message.Topic.ShouldBe(FleetMqtt.Topic(registered.DeviceId, FleetMqtt.Commands));
        message.MessageExpiryInterval.ShouldBeInRange(590u, 600u, "the command's TTL is the message's expiry");
        var sent = JsonSerializer.Deserialize<CommandMessage>(message.Payload.ToArray(), JsonSerializerOptions.Web)!;
        (sent.Type, sent.CommandId, sent.Name).ShouldBe((CommandChannel.Command, command.Id, CommandNames.Identify));
        await Eventually.TrueAsync(async () => (await CommandAsync(command.Id)).ByState.GetValueOrDefault(CommandStates.Sent) == 1, Deadline, "the command to be sent", Cancellation);

        await device.PublishJsonAsync(FleetMqtt.CommandAcks, new CommandReport(CommandChannel.Report, command.Id, CommandStates.Completed), Cancellation);

        await Eventually.TrueAsync(async () => (await CommandAsync(command.Id)).ByState.GetValueOrDefault(CommandStates.Completed) == 1, Deadline, "the report to complete it", Cancellation);
        var answer = await received.Reader.ReadAsync(Cancellation).AsTask().WaitAsync(Deadline, Cancellation);
        JsonSerializer.Deserialize<CommandReportAck>(answer.Payload.ToArray(), JsonSerializerOptions.Web)
            .ShouldBe(new CommandReportAck(CommandChannel.ReportAck, command.Id, CommandStates.Completed, "recorded"));
    }

    [Fact]
    public async Task A_command_for_a_device_that_is_away_waits_and_goes_out_when_it_says_online()
    {
        var registered = await _http.RegisterDeviceAsync($"MQTT-O-{Guid.NewGuid():N}", Cancellation);
        var command = await SendAsync(new SendCommandRequest(CommandNames.Reboot, DeviceId: registered.DeviceId, TtlSeconds: 600));
        (await CommandAsync(command.Id)).ByState[CommandStates.Queued].ShouldBe(1);

        await using var device = await MqttDevice.ConnectAsync(servers, registered.DeviceId, registered.DeviceKey, Cancellation);
        var received = await OnlineAsync(device);

        var message = await received.Reader.ReadAsync(Cancellation).AsTask().WaitAsync(Deadline, Cancellation);
        JsonSerializer.Deserialize<CommandMessage>(message.Payload.ToArray(), JsonSerializerOptions.Web)!.CommandId.ShouldBe(command.Id);
        await Eventually.TrueAsync(async () => (await CommandAsync(command.Id)).ByState.GetValueOrDefault(CommandStates.Sent) == 1, Deadline, "the command to be sent on reconnect", Cancellation);
    }

    [Fact]
    public async Task A_command_whose_ttl_passes_while_the_device_is_away_expires_and_is_never_delivered()
    {
        var registered = await _http.RegisterDeviceAsync($"MQTT-E-{Guid.NewGuid():N}", Cancellation);
        var expiring = await SendAsync(new SendCommandRequest(CommandNames.Identify, DeviceId: registered.DeviceId, TtlSeconds: 1));
        await Eventually.TrueAsync(async () => (await CommandAsync(expiring.Id)).ByState.GetValueOrDefault(CommandStates.Expired) == 1,
            Deadline, "the command to expire while the device is away", Cancellation);

        await using var device = await MqttDevice.ConnectAsync(servers, registered.DeviceId, registered.DeviceKey, Cancellation);
        var received = await OnlineAsync(device);
        var later = await SendAsync(new SendCommandRequest(CommandNames.Identify, DeviceId: registered.DeviceId, TtlSeconds: 600));

        // Had the expired command gone out on online, it would have arrived first.
        var first = await received.Reader.ReadAsync(Cancellation).AsTask().WaitAsync(Deadline, Cancellation);
        JsonSerializer.Deserialize<CommandMessage>(first.Payload.ToArray(), JsonSerializerOptions.Web)!.CommandId.ShouldBe(later.Id);
        (await CommandAsync(expiring.Id)).ByState[CommandStates.Expired].ShouldBe(1);
    }

    /// <summary>
    /// Subscribes to the device's down topics, then says online (the order the simulator keeps), and waits until the api
    /// has handled it: its status event is written after the outstanding work went down, so a command sent afterwards is
    /// not also in that outstanding work (which would deliver it twice, as it may: devices take a command id once). What arrives.
    /// </summary>
    private async Task<Channel<MqttApplicationMessage>> OnlineAsync(MqttDevice device)
    {
        var received = Channel.CreateUnbounded<MqttApplicationMessage>();
        device.Client.ApplicationMessageReceivedAsync += message =>
        {
            received.Writer.TryWrite(message.ApplicationMessage);
            return Task.CompletedTask;
        };
        await device.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(FleetMqtt.Topic(device.DeviceId, FleetMqtt.Commands), MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(FleetMqtt.Topic(device.DeviceId, FleetMqtt.Updates), MqttQualityOfServiceLevel.AtLeastOnce)
            .Build(), Cancellation);
        await device.PublishAsync(FleetMqtt.Status, FleetMqtt.Online, Cancellation);
        await Eventually.TrueAsync(async () => (await _http.GetAsOperatorAsync<DeviceEventsResponse>($"{FleetHttp.DevicesRoute}/{device.DeviceId}/events", Cancellation))!
            .Items.Any(e => e.Kind == "status" && e.Detail == "mqtt connected"), Deadline, "the api to handle the device's online", Cancellation);
        return received;
    }

    private async Task<CommandResponse> SendAsync(SendCommandRequest request)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, CommandsHttp.Route) { Content = JsonContent.Create(request) };
        message.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
        using var response = await _http.SendAsync(message, Cancellation);
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<CommandResponse>(Cancellation))!;
    }

    private async Task<CommandResponse> CommandAsync(Guid id) => (await _http.GetAsOperatorAsync<CommandResponse>(CommandsHttp.Command(id), Cancellation))!;
}
