using System.Net;
using System.Net.Http.Headers;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using MQTTnet;

namespace Fleet.Tests.Mqtt;

/// <summary>The collector's persistent session: what the broker acknowledged to devices survives the api going away.</summary>
public sealed class MqttCollectorRestartTests(BackingServers servers)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_api_that_stops_mid_load_and_comes_back_loses_no_reading_the_broker_acknowledged()
    {
        const int Messages = 300;
        var settings = MqttDevice.ApiSettings(servers);
        settings["Fleet:Telemetry:RequestsPerDevicePerMinute"] = "10000";
        var database = await servers.CreateDatabaseAsync("mqttrestart", Cancellation);
        var first = await StartAsync(database, settings);
        var registered = await first.CreateClient().RegisterDeviceAsync($"MQTT-R-{Guid.NewGuid():N}", Cancellation);
        await using var device = await MqttDevice.ConnectAsync(servers, registered.DeviceId, registered.DeviceKey, Cancellation);

        for (var seq = 1; seq <= Messages; seq++)
        {
            if (seq == Messages / 3)
            {
                // Stopped right after a burst (some still in hand); everything after waits in its session at the broker.
                await first.DisposeAsync();
            }

            (await device.PublishJsonAsync(FleetMqtt.Telemetry, MqttDevice.Readings(seq), Cancellation)).ShouldBe(MqttClientPublishReasonCode.Success);
        }

        await using var second = await StartAsync(database, settings);
        using var http = second.CreateClient();
        var stats = await Eventually.GetAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{FleetHttp.DevicesRoute}/{registered.DeviceId}/telemetry/sequence");
            request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
            using var response = await http.SendAsync(request, Cancellation);
            var current = response.StatusCode == HttpStatusCode.OK
                ? await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<TelemetrySequenceStats>(response.Content, Cancellation)
                : null;
            return current is { Received: Messages } ? current : null;
        }, TimeSpan.FromSeconds(60), "every acknowledged reading to be stored by the api that came back", Cancellation);
        stats.ShouldBe(new TelemetrySequenceStats(1, Messages, Messages, 0));
    }

    [Fact]
    public async Task An_api_process_killed_mid_load_loses_no_reading_the_broker_acknowledged()
    {
        const int Messages = 600;
        var settings = MqttDevice.ApiSettings(servers);
        settings["Fleet:Telemetry:RequestsPerDevicePerMinute"] = "10000";
        var (database, redis) = (await servers.CreateDatabaseAsync("mqttkill", Cancellation), $"{servers.RedisConnectionString},defaultDatabase={ApiFactory.NextRedisDatabase()}");
        await using var first = await ApiProcess.StartAsync(database, redis, settings, Cancellation);
        RegisterDeviceResponse registered;
        using (var http = new HttpClient { BaseAddress = first.Url })
        {
            registered = await http.RegisterDeviceAsync($"MQTT-K-{Guid.NewGuid():N}", Cancellation);
        }

        await using var device = await MqttDevice.ConnectAsync(servers, registered.DeviceId, registered.DeviceKey, Cancellation);
        for (var seq = 1; seq <= Messages; seq++)
        {
            if (seq == Messages / 3)
            {
                // SIGKILL right after a burst: messages in a group commit and unacknowledged ones die with it.
                await first.KillAsync();
            }

            (await device.PublishJsonAsync(FleetMqtt.Telemetry, MqttDevice.Readings(seq), Cancellation)).ShouldBe(MqttClientPublishReasonCode.Success);
        }

        await using var second = await ApiProcess.StartAsync(database, redis, settings, Cancellation);
        using var operatorHttp = new HttpClient { BaseAddress = second.Url };
        var stats = await Eventually.GetAsync(async () =>
        {
            var current = await operatorHttp.GetAsOperatorAsync<TelemetrySequenceStats>($"{FleetHttp.DevicesRoute}/{registered.DeviceId}/telemetry/sequence", Cancellation);
            return current is { Received: Messages } ? current : null;
        }, TimeSpan.FromSeconds(60), "every acknowledged reading to be stored by the api started after the kill", Cancellation);
        stats.ShouldBe(new TelemetrySequenceStats(1, Messages, Messages, 0), second.Output);
    }

    private async Task<ApiFactory> StartAsync(string database, Dictionary<string, string?> settings)
    {
        var api = new ApiFactory(database, servers.RedisConnectionString, settings);
        using var client = api.CreateClient();
        await Eventually.TrueAsync(async () => (await client.GetAsync("/health", Cancellation)).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60), "the api to report healthy", Cancellation);
        return api;
    }
}
