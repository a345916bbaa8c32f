using System.Security.Cryptography;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.DeviceSim;
using Fleet.DeviceSim.Identity;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleet.Tests.DeviceSim;

/// <summary>Simulated MQTT devices against the AppHost's Mosquitto, observed by its admin; a test client plays the api's downlink.</summary>
public sealed class MqttDeviceTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_device_says_online_then_publishes_heartbeats_and_telemetry_as_the_http_json_with_its_content_type()
    {
        await using var broker = await MqttTestBroker.StartAsync(Cancellation);
        var identity = await EnrollAsync(broker);
        await using var fleet = new MqttFleet([identity], broker.Port);

        await fleet.StartAsync(Cancellation);

        var telemetry = await FirstAsync(broker, identity.DeviceId, FleetMqtt.Telemetry);
        var heartbeat = await FirstAsync(broker, identity.DeviceId, FleetMqtt.Heartbeat);
        var seen = broker.Seen.ToList();
        seen.First(message => message.Topic.StartsWith($"{FleetMqtt.Root}/{identity.DeviceId}/", StringComparison.Ordinal))
            .ShouldBe(new SeenMessage(FleetMqtt.Topic(identity.DeviceId, FleetMqtt.Status), FleetMqtt.Online, null), "online comes first, after connecting");
        telemetry.ContentType.ShouldBe(FleetMqtt.JsonContentType);
        heartbeat.ContentType.ShouldBe(FleetMqtt.JsonContentType);
        var readings = MqttTestBroker.Read<TelemetryBatchRequest>(telemetry).Readings.ShouldNotBeNull();
        readings.ShouldNotBeEmpty();
        readings.ShouldAllBe(reading => reading.Seq > 0 && reading.Ts != null && reading.Metrics!.Count > 0);
        var beat = MqttTestBroker.Read<HeartbeatRequest>(heartbeat);
        beat.Firmware.ShouldBe(VirtualDevice.FactoryFirmware);
        beat.Battery.ShouldBeInRange(0, 100);
        fleet.Status.Current().MqttConnected.ShouldBe(1);
    }

    [Fact]
    public async Task A_connection_that_dies_abruptly_leaves_the_will_offline_and_the_device_reconnects_online()
    {
        await using var broker = await MqttTestBroker.StartAsync(Cancellation);
        await using var relay = new TcpRelay(() => (broker.Host, broker.Port));
        var identity = await EnrollAsync(broker);
        await using var fleet = new MqttFleet([identity], relay.Port);
        await fleet.StartAsync(Cancellation);
        await StatusesAsync(broker, identity.DeviceId, [FleetMqtt.Online]);

        relay.Sever();

        await StatusesAsync(broker, identity.DeviceId, [FleetMqtt.Online, FleetMqtt.Offline, FleetMqtt.Online]);
        broker.On(identity.DeviceId, FleetMqtt.Status).ShouldAllBe(message => message.ContentType == null);
    }

    [Fact]
    public async Task After_a_broker_restart_the_device_reconnects_and_its_sequence_numbers_go_on_without_a_gap()
    {
        await using var broker = await MqttTestBroker.StartAsync(Cancellation);
        await using var relay = new TcpRelay(() => (broker.Host, broker.Port));
        var identity = await EnrollAsync(broker);
        await using var fleet = new MqttFleet([identity], relay.Port);
        await fleet.StartAsync(Cancellation);
        await Eventually.TrueAsync(() => Task.FromResult(Seqs(broker, identity.DeviceId).Count >= 2), Patience, "readings before the restart", Cancellation);

        await broker.RestartAsync(Cancellation);
        var before = Seqs(broker, identity.DeviceId).Max();
        broker.Seen.Clear();

        await Eventually.TrueAsync(() => Task.FromResult(Seqs(broker, identity.DeviceId).Count(seq => seq > before) >= 3), Patience,
            "readings after the restart", Cancellation);
        var after = Seqs(broker, identity.DeviceId).Where(seq => seq > before).Distinct().Order().ToList();
        after[0].ShouldBeLessThanOrEqualTo(before + 2, "readings taken while the broker was down are sent after reconnecting");
        after.ShouldBe(Enumerable.Range(0, after.Count).Select(i => after[0] + i).ToList(), "no reading is lost across the reconnect");
        fleet.Status.Current().MqttConnected.ShouldBe(1);
    }

    [Fact]
    public async Task A_command_published_down_is_run_and_its_reports_come_back_on_commands_ack()
    {
        await using var broker = await MqttTestBroker.StartAsync(Cancellation);
        var identity = await EnrollAsync(broker);
        await using var fleet = new MqttFleet([identity], broker.Port);
        await fleet.StartAsync(Cancellation);
        await StatusesAsync(broker, identity.DeviceId, [FleetMqtt.Online]);
        using var server = await broker.ConnectServerAsync(Cancellation);
        var command = new CommandMessage(CommandChannel.Command, Guid.NewGuid(), CommandNames.SetInterval,
            new Dictionary<string, JsonElement> { ["seconds"] = JsonSerializer.SerializeToElement(7) }, DateTimeOffset.UtcNow.AddMinutes(5));

        await PublishDownAsync(server, identity.DeviceId, FleetMqtt.Commands, command);

        await Eventually.TrueAsync(() => Task.FromResult(Reports(broker, identity.DeviceId).Any(report => report.State == CommandStates.Completed)),
            Patience, "the command's completed report", Cancellation);
        var reports = Reports(broker, identity.DeviceId);
        reports.ShouldAllBe(report => report.CommandId == command.CommandId && report.Type == CommandChannel.Report);
        reports.Select(report => report.State).ShouldBe([CommandStates.Accepted, CommandStates.Completed]);
        broker.On(identity.DeviceId, FleetMqtt.CommandAcks).ShouldAllBe(message => message.ContentType == FleetMqtt.JsonContentType);
        fleet.Simulator.Devices[0].TelemetryInterval.ShouldBe(TimeSpan.FromSeconds(7));
    }

    [Fact]
    public async Task A_reboot_command_takes_the_device_offline_with_its_will_and_it_comes_back_online()
    {
        await using var broker = await MqttTestBroker.StartAsync(Cancellation);
        var identity = await EnrollAsync(broker);
        await using var fleet = new MqttFleet([identity], broker.Port);
        await fleet.StartAsync(Cancellation);
        await StatusesAsync(broker, identity.DeviceId, [FleetMqtt.Online]);
        using var server = await broker.ConnectServerAsync(Cancellation);

        await PublishDownAsync(server, identity.DeviceId, FleetMqtt.Commands,
            new CommandMessage(CommandChannel.Command, Guid.NewGuid(), CommandNames.Reboot, null, DateTimeOffset.UtcNow.AddMinutes(5)));

        await StatusesAsync(broker, identity.DeviceId, [FleetMqtt.Online, FleetMqtt.Offline, FleetMqtt.Online]);
        await Eventually.TrueAsync(() => Task.FromResult(Reports(broker, identity.DeviceId).Any(report => report.State == CommandStates.Completed)),
            Patience, "the reboot's completed report, sent after it came back", Cancellation);
    }

    [Fact]
    public async Task A_rollback_published_on_updates_is_answered_on_updates_progress()
    {
        await using var broker = await MqttTestBroker.StartAsync(Cancellation);
        var identity = await EnrollAsync(broker);
        await using var fleet = new MqttFleet([identity], broker.Port);
        await fleet.StartAsync(Cancellation);
        await StatusesAsync(broker, identity.DeviceId, [FleetMqtt.Online]);
        using var server = await broker.ConnectServerAsync(Cancellation);
        var rolloutId = Guid.NewGuid();

        await PublishDownAsync(server, identity.DeviceId, FleetMqtt.Updates, new RollbackRequest(DeviceChannel.Rollback, rolloutId, Guid.NewGuid()));

        var progress = MqttTestBroker.Read<UpdateProgress>(await FirstAsync(broker, identity.DeviceId, FleetMqtt.UpdateProgress));
        progress.ShouldBe(progress with { Type = DeviceChannel.Progress, RolloutId = rolloutId, State = "rolled-back" });
    }

    [Fact]
    public async Task A_wrong_key_is_refused_as_not_authorized_and_the_device_waits_long_without_stopping_the_fleet()
    {
        await using var broker = await MqttTestBroker.StartAsync(Cancellation);
        var good = await EnrollAsync(broker);
        var refused = await EnrollAsync(broker) with { DeviceKey = "not-its-key-0123456789" };
        await using var fleet = new MqttFleet([refused, good], broker.Port);

        await fleet.StartAsync(Cancellation);

        await Eventually.TrueAsync(() => Task.FromResult(fleet.Status.Current().MqttNotAuthorized == 1), Patience, "the broker's refusal", Cancellation);
        await Eventually.TrueAsync(() => Task.FromResult(broker.On(good.DeviceId, FleetMqtt.Heartbeat).Count >= 3), Patience,
            "the other device's heartbeats, a few seconds' worth", Cancellation);
        var status = fleet.Status.Current();
        status.MqttNotAuthorized.ShouldBe(1, "a refused device waits Fleet:Mqtt:NotAuthorizedBackoffSeconds before trying again");
        status.MqttConnected.ShouldBe(1);
        fleet.Simulator.ExecuteTask!.IsCompleted.ShouldBeFalse();
        broker.On(refused.DeviceId, FleetMqtt.Status).ShouldBeEmpty();
    }

    [Fact]
    public void Mixed_protocol_puts_the_configured_share_on_mqtt_the_same_devices_every_time()
    {
        var tuning = new SimulatorTuning { Protocol = DeviceProtocol.Mixed, MqttPercent = 30, Seed = 7 };
        var mqtt = Enumerable.Range(1, 2000).Where(index => DeviceProtocol.UsesMqtt(tuning, index)).ToList();

        mqtt.Count.ShouldBeInRange(540, 660);
        Enumerable.Range(1, 2000).Where(index => DeviceProtocol.UsesMqtt(new SimulatorTuning { Protocol = DeviceProtocol.Mixed, MqttPercent = 30, Seed = 7 }, index))
            .ShouldBe(mqtt);
        mqtt.Count(index => index % 10 == 9).ShouldBeInRange(40, 80, "the share does not follow the index, so green devices get their share too");
        Enumerable.Range(1, 100).ShouldAllBe(index => DeviceProtocol.UsesMqtt(new SimulatorTuning { Protocol = DeviceProtocol.Mqtt }, index));
        Enumerable.Range(1, 100).ShouldAllBe(index => !DeviceProtocol.UsesMqtt(new SimulatorTuning(), index));
        Enumerable.Range(1, 100).ShouldAllBe(index => !DeviceProtocol.UsesMqtt(new SimulatorTuning { Protocol = DeviceProtocol.Mixed, MqttPercent = 0 }, index));
    }

    [Fact]
    public void Protocol_mqtt_without_a_broker_host_fails_at_start_with_a_clear_message()
    {
        SimulatorCommandLine.Translate(["--protocol", "mixed", "--mqtt-percent", "20"])
            .ShouldBe(["--Fleet:Simulator:Protocol=mixed", "--Fleet:Simulator:MqttPercent=20"]);
        var services = new ServiceCollection();
        services.AddOptions<SimulatorOptions>()
            .Configure(options =>
            {
                options.EnrollmentToken = "token";
                options.Simulator.Protocol = DeviceProtocol.Mqtt;
            })
            .ValidateDataAnnotations();
        using var provider = services.BuildServiceProvider();

        var failure = Should.Throw<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SimulatorOptions>>().Value);

        failure.Message.ShouldContain("Fleet:Mqtt:Host");
    }

    /// <summary>A device identity in the broker, as the api will create it at enrollment.</summary>
    private static async Task<DeviceIdentity> EnrollAsync(MqttTestBroker broker)
    {
        var identity = new DeviceIdentity(Guid.NewGuid(), Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)));
        await broker.CreateDeviceAsync(identity.DeviceId, identity.DeviceKey, Cancellation);
        return identity;
    }

    private static Task<SeenMessage> FirstAsync(MqttTestBroker broker, Guid deviceId, string kind) =>
        Eventually.GetAsync(() => Task.FromResult(broker.On(deviceId, kind) is [var first, ..] ? first : null), Patience, $"a message on {kind}", Cancellation);

    private static Task StatusesAsync(MqttTestBroker broker, Guid deviceId, string[] expected) =>
        Eventually.TrueAsync(() => Task.FromResult(broker.On(deviceId, FleetMqtt.Status).Select(message => message.Payload).SequenceEqual(expected)),
            Patience, $"status messages {string.Join(", ", expected)}", Cancellation);

    private static List<long> Seqs(MqttTestBroker broker, Guid deviceId) =>
        [.. broker.On(deviceId, FleetMqtt.Telemetry).SelectMany(message => MqttTestBroker.Read<TelemetryBatchRequest>(message).Readings!).Select(reading => reading.Seq!.Value)];

    private static List<CommandReport> Reports(MqttTestBroker broker, Guid deviceId) =>
        [.. broker.On(deviceId, FleetMqtt.CommandAcks).Select(MqttTestBroker.Read<CommandReport>)];

    private static async Task PublishDownAsync(IMqttClient server, Guid deviceId, string kind, object message)
    {
        var result = await server.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(FleetMqtt.Topic(deviceId, kind))
            .WithPayload(JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), JsonSerializerOptions.Web))
            .WithContentType(FleetMqtt.JsonContentType)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build(), Cancellation);
        result.ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success, "the device is subscribed to its down topics");
    }
}
