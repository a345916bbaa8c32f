using Bunit;
using System.Net;
using System.Net.Http.Headers;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Web;
using MQTTnet;

namespace Fleet.Tests.Mqtt;

/// <summary>One api with its MQTT collector on the run's real Mosquitto; devices register over HTTP and then speak MQTT.</summary>
public sealed class MqttApiFixture(BackingServers servers) : IAsyncLifetime
{
    public ApiFactory Api { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Api = await ApiFactory.StartAsync(servers, Xunit.TestContext.Current.CancellationToken, MqttDevice.ApiSettings(servers));

    public async ValueTask DisposeAsync() => await Api.DisposeAsync();
}

public sealed class MqttIngestTests(MqttApiFixture fixture, BackingServers servers) : IClassFixture<MqttApiFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static CancellationToken Cancellation => Xunit.TestContext.Current.CancellationToken;
    private readonly HttpClient _http = fixture.Api.CreateClient();

    [Fact]
    public async Task Telemetry_published_by_a_registered_device_is_stored_once_per_seq()
    {
        var registered = await _http.RegisterDeviceAsync($"MQTT-T-{Guid.NewGuid():N}", Cancellation);
        await using var device = await MqttDevice.ConnectAsync(servers, registered.DeviceId, registered.DeviceKey, Cancellation);

        (await device.PublishJsonAsync(FleetMqtt.Telemetry, MqttDevice.Readings(1, 2, 3), Cancellation)).ShouldBe(MqttClientPublishReasonCode.Success);
        (await device.PublishJsonAsync(FleetMqtt.Telemetry, MqttDevice.Readings(3, 5), Cancellation)).ShouldBe(MqttClientPublishReasonCode.Success);

        var stats = await Eventually.GetAsync(async () =>
        {
            var sequence = await SequenceAsync(registered.DeviceId);
            return sequence is { Received: 4 } ? sequence : null;
        }, Deadline, "the four distinct readings to be stored", Cancellation);
        stats.ShouldBe(new TelemetrySequenceStats(1, 5, 4, 1), "seq 3 twice is stored once, and seq 4 is a gap");
    }

    [Fact]
    public async Task A_heartbeat_over_mqtt_updates_the_latest_values_and_marks_the_device_online()
    {
        var registered = await _http.RegisterDeviceAsync($"MQTT-H-{Guid.NewGuid():N}", Cancellation);
        await using var device = await MqttDevice.ConnectAsync(servers, registered.DeviceId, registered.DeviceKey, Cancellation);

        await device.PublishJsonAsync(FleetMqtt.Heartbeat, new HeartbeatRequest(71.5, -60, "1.0.0", "A", 120, null), Cancellation);

        var detail = await Eventually.GetAsync(async () =>
        {
            var current = await _http.GetAsOperatorAsync<DeviceDetail>($"{FleetHttp.DevicesRoute}/{registered.DeviceId}", Cancellation);
            return current is { Latest.Battery: 71.5, Device.Status: "online" } ? current : null;
        }, Deadline, "the heartbeat's battery to show and the device to be online", Cancellation);
        detail.Latest!.Firmware.ShouldBe("1.0.0");
    }

    [Fact]
    public async Task The_last_will_marks_a_vanished_device_offline_within_seconds_and_reconnecting_marks_it_online()
    {
        var registered = await _http.RegisterDeviceAsync($"MQTT-W-{Guid.NewGuid():N}", Cancellation);
        var device = await MqttDevice.ConnectAsync(servers, registered.DeviceId, registered.DeviceKey, Cancellation);
        await device.PublishAsync(FleetMqtt.Status, FleetMqtt.Online, Cancellation);
        await Eventually.TrueAsync(async () => await ConnectivityAsync(registered.DeviceId) == "online", Deadline, "online after connecting", Cancellation);

        device.Vanish();

        await Eventually.TrueAsync(async () => await ConnectivityAsync(registered.DeviceId) == "offline", TimeSpan.FromSeconds(10),
            "the broker's last will to mark it offline, long before the heartbeat window", Cancellation);
        var events = await _http.GetAsOperatorAsync<DeviceEventsResponse>($"{FleetHttp.DevicesRoute}/{registered.DeviceId}/events", Cancellation);
        events!.Items.ShouldContain(e => e.Kind == "status" && e.To == "offline" && e.Detail!.Contains("last will"));

        var gone = (await _http.GetAsOperatorAsync<DeviceDetail>($"{FleetHttp.DevicesRoute}/{registered.DeviceId}", Cancellation))!;
        gone.Link.ShouldNotBeNull().Protocol.ShouldBe("mqtt");
        gone.Link.DisconnectedAt.ShouldNotBeNull().ShouldBeGreaterThanOrEqualTo(gone.Link.ConnectedAt.ShouldNotBeNull());
        gone.Latest.ShouldBeNull("no heartbeat was sent: connecting is not one");
        await using (var context = WebTestContext.Create(_http))
        {
            var card = context.Render<Fleet.Web.Components.Shared.HeartbeatCard>(parameters => parameters.Add(c => c.Link, gone.Link));
            card.Find("[data-testid=device-link]").TextContent.ShouldSatisfyAllConditions(
                text => text.ShouldContain("Speaks MQTT"),
                text => text.ShouldContain($"disconnected {gone.Link.DisconnectedAt.Value:yyyy-MM-dd HH:mm:ss}"));
        }

        await using var again = await MqttDevice.ConnectAsync(servers, registered.DeviceId, registered.DeviceKey, Cancellation);
        await again.PublishAsync(FleetMqtt.Status, FleetMqtt.Online, Cancellation);
        await Eventually.TrueAsync(async () => await ConnectivityAsync(registered.DeviceId) == "online", Deadline, "online again after reconnecting", Cancellation);
    }

    [Fact]
    public async Task A_device_may_not_publish_as_another_receive_another_s_commands_or_connect_with_a_wrong_key()
    {
        var a = await _http.RegisterDeviceAsync($"MQTT-A-{Guid.NewGuid():N}", Cancellation);
        var b = await _http.RegisterDeviceAsync($"MQTT-B-{Guid.NewGuid():N}", Cancellation);
        await using var deviceA = await MqttDevice.ConnectAsync(servers, a.DeviceId, a.DeviceKey, Cancellation);

        (await deviceA.PublishAsync(FleetMqtt.Telemetry, "{\"readings\":[]}", Cancellation, asDevice: b.DeviceId))
            .ShouldBe(MqttClientPublishReasonCode.NotAuthorized);
        (await deviceA.PublishAsync(FleetMqtt.Commands, "{}", Cancellation)).ShouldBe(MqttClientPublishReasonCode.NotAuthorized, "commands go down, not up");

        // Subscribing to B's downlink (or every downlink) yields nothing of B's: the broker checks each delivery.
        var received = new List<string>();
        deviceA.Client.ApplicationMessageReceivedAsync += message =>
        {
            lock (received)
            {
                received.Add(message.ApplicationMessage.Topic);
            }

            return Task.CompletedTask;
        };
        await deviceA.Client.SubscribeAsync($"{FleetMqtt.Root}/+/{FleetMqtt.Commands}", cancellationToken: Cancellation);
        using var service = new MqttClientFactory().CreateMqttClient();
        var account = new Fleet.Api.Mqtt.MqttBrokerAddress("-", 0, "-", AdminPassword()).ServiceAccount();
        await service.ConnectAsync(MqttDevice.Options(servers, account.Username, account.Password, $"test-service-{Guid.NewGuid():N}").Build(), Cancellation);
        await service.PublishStringAsync(FleetMqtt.Topic(b.DeviceId, FleetMqtt.Commands), "{\"for\":\"b\"}", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Cancellation);
        await service.PublishStringAsync(FleetMqtt.Topic(a.DeviceId, FleetMqtt.Commands), "{\"for\":\"a\"}", MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken: Cancellation);
        await Eventually.TrueAsync(() => Task.FromResult(Count(received) > 0), Deadline, "A's own command to arrive", Cancellation);
        lock (received)
        {
            received.ShouldBe([FleetMqtt.Topic(a.DeviceId, FleetMqtt.Commands)], "B's command, sent first, never reached A");
        }

        var (code, wrong) = await MqttDevice.TryConnectAsync(servers, a.DeviceId, b.DeviceKey, Cancellation);
        await wrong.DisposeAsync();
        code.ShouldBe(MqttClientConnectResultCode.NotAuthorized);
    }

    [Fact]
    public async Task Suspension_disconnects_the_device_and_refuses_it_until_activated_and_retirement_removes_it()
    {
        var registered = await _http.RegisterDeviceAsync($"MQTT-S-{Guid.NewGuid():N}", Cancellation);
        await using var device = await MqttDevice.ConnectAsync(servers, registered.DeviceId, registered.DeviceKey, Cancellation);

        (await OperatorPostAsync($"{FleetHttp.DevicesRoute}/{registered.DeviceId}/suspend")).ShouldBe(HttpStatusCode.OK);

        await Eventually.TrueAsync(() => Task.FromResult(!device.Client.IsConnected), Deadline, "the broker to drop the suspended device", Cancellation);
        var (refused, _) = await MqttDevice.TryConnectAsync(servers, registered.DeviceId, registered.DeviceKey, Cancellation);
        refused.ShouldBe(MqttClientConnectResultCode.NotAuthorized);

        (await OperatorPostAsync($"{FleetHttp.DevicesRoute}/{registered.DeviceId}/activate")).ShouldBe(HttpStatusCode.OK);
        var (back, backDevice) = await MqttDevice.TryConnectAsync(servers, registered.DeviceId, registered.DeviceKey, Cancellation);
        back.ShouldBe(MqttClientConnectResultCode.Success);

        (await OperatorPostAsync($"{FleetHttp.DevicesRoute}/{registered.DeviceId}/retire")).ShouldBe(HttpStatusCode.OK);
        await Eventually.TrueAsync(() => Task.FromResult(!backDevice.Client.IsConnected), Deadline, "the broker to drop the retired device", Cancellation);
        var (retired, _) = await MqttDevice.TryConnectAsync(servers, registered.DeviceId, registered.DeviceKey, Cancellation);
        retired.ShouldBe(MqttClientConnectResultCode.NotAuthorized);
    }

    [Fact]
    public async Task A_new_key_from_re_registration_replaces_the_old_one_at_the_broker()
    {
        var serial = $"MQTT-K-{Guid.NewGuid():N}";
        var first = await _http.RegisterDeviceAsync(serial, Cancellation);
        using var again = new HttpRequestMessage(HttpMethod.Post, FleetHttp.RegisterRoute) { Content = System.Net.Http.Json.JsonContent.Create(DeviceClient.Registration(serial)) };
        again.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, first.DeviceKey);
        using var response = await _http.SendAsync(again, Cancellation);
        var second = (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<RegisterDeviceResponse>(response.EnsureSuccessStatusCode().Content, Cancellation))!;

        var (old, _) = await MqttDevice.TryConnectAsync(servers, first.DeviceId, first.DeviceKey, Cancellation);
        old.ShouldBe(MqttClientConnectResultCode.NotAuthorized);
        await using var current = await MqttDevice.ConnectAsync(servers, second.DeviceId, second.DeviceKey, Cancellation);
    }

    [Fact]
    public async Task Bad_payloads_are_dropped_with_a_reason_in_the_device_events_and_the_collector_goes_on()
    {
        var registered = await _http.RegisterDeviceAsync($"MQTT-X-{Guid.NewGuid():N}", Cancellation);
        await using var device = await MqttDevice.ConnectAsync(servers, registered.DeviceId, registered.DeviceKey, Cancellation);

        await device.PublishAsync(FleetMqtt.Telemetry, "this is not json", Cancellation);
        await device.PublishAsync(FleetMqtt.Heartbeat, "{\"battery\":\"full\"}", Cancellation);
        await device.PublishAsync(FleetMqtt.Status, "sleeping", Cancellation);
        await device.PublishJsonAsync(FleetMqtt.Telemetry, MqttDevice.Readings(7), Cancellation);

        await Eventually.TrueAsync(async () => (await SequenceAsync(registered.DeviceId))?.Received == 1, Deadline, "the good reading after the bad ones", Cancellation);
        var events = await Eventually.GetAsync(async () =>
        {
            var response = await _http.GetAsOperatorAsync<DeviceEventsResponse>($"{FleetHttp.DevicesRoute}/{registered.DeviceId}/events", Cancellation);
            var dropped = response!.Items.Where(e => e.Kind == "mqtt-dropped").ToList();
            return dropped.Count == 3 ? dropped : null;
        }, Deadline, "three drop events, one per bad message", Cancellation);
        events.ShouldContain(e => e.Detail!.StartsWith("telemetry message dropped (invalid)", StringComparison.Ordinal));
        events.ShouldContain(e => e.Detail!.StartsWith("heartbeat message dropped (invalid)", StringComparison.Ordinal));
        events.ShouldContain(e => e.Detail!.StartsWith("status message dropped (invalid)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_device_flooding_its_reports_has_the_excess_dropped_as_rate_limited()
    {
        var registered = await _http.RegisterDeviceAsync($"MQTT-F-{Guid.NewGuid():N}", Cancellation);
        await using var device = await MqttDevice.ConnectAsync(servers, registered.DeviceId, registered.DeviceKey, Cancellation);

        for (var i = 0; i < Fleet.Api.Rollouts.DeviceChannelHub.MaxMessagesPerWindow + 20; i++)
        {
            await device.PublishJsonAsync(FleetMqtt.CommandAcks, new CommandReport(CommandChannel.Report, Guid.NewGuid(), CommandStates.Completed), Cancellation);
        }

        var dropped = await Eventually.GetAsync(async () =>
        {
            var response = await _http.GetAsOperatorAsync<DeviceEventsResponse>($"{FleetHttp.DevicesRoute}/{registered.DeviceId}/events", Cancellation);
            return response!.Items.FirstOrDefault(e => e.Kind == "mqtt-dropped");
        }, Deadline, "the reports past the allowance to be dropped", Cancellation);
        dropped.Detail.ShouldStartWith("commands/ack message dropped (rate-limited)");
    }

    private string AdminPassword() =>
        (string)new System.Data.Common.DbConnectionStringBuilder { ConnectionString = servers.MqttConnectionString }["Password"];

    private static int Count(List<string> items)
    {
        lock (items)
        {
            return items.Count;
        }
    }

    private async Task<TelemetrySequenceStats?> SequenceAsync(Guid deviceId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{FleetHttp.DevicesRoute}/{deviceId}/telemetry/sequence");
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
        using var response = await _http.SendAsync(request, Cancellation);
        return response.StatusCode == HttpStatusCode.NotFound
            ? null
            : await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<TelemetrySequenceStats>(response.EnsureSuccessStatusCode().Content, Cancellation);
    }

    private async Task<string?> ConnectivityAsync(Guid deviceId) =>
        (await _http.GetAsOperatorAsync<DeviceDetail>($"{FleetHttp.DevicesRoute}/{deviceId}", Cancellation))?.Device.Status;

    private async Task<HttpStatusCode> OperatorPostAsync(string route)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route);
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
        using var response = await _http.SendAsync(request, Cancellation);
        return response.StatusCode;
    }
}
