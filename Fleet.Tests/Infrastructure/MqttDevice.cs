using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Fleet.Contracts;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Fleet.Tests.Infrastructure;

/// <summary>A device on MQTT for tests: connects with its id and key, with the last will the simulator sets.</summary>
public sealed class MqttDevice : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();

    private MqttDevice(Guid deviceId) => DeviceId = deviceId;

    public Guid DeviceId { get; }

    public IMqttClient Client => _client;

    /// <summary>The api's settings for a collector of its own on the run's broker (its own share group gets every message).</summary>
    public static Dictionary<string, string?> ApiSettings(BackingServers servers, string? clientId = null) => new()
    {
        ["ConnectionStrings:mqtt"] = servers.MqttConnectionString,
        ["Fleet:Mqtt:ShareGroup"] = $"test-{Guid.NewGuid():N}",
        ["Fleet:Mqtt:ClientId"] = clientId ?? $"test-api-{Guid.NewGuid():N}",
        ["Fleet:Mqtt:SessionExpirySeconds"] = "300",
        ["Fleet:Mqtt:RetryDelay"] = "00:00:00.200",
    };

    /// <summary>The run's broker for the simulator's MQTT devices (they get its address only, as under the AppHost).</summary>
    public static Fleet.DeviceSim.MqttBrokerSettings BrokerSettings(BackingServers servers)
    {
        var parts = new DbConnectionStringBuilder { ConnectionString = servers.MqttConnectionString };
        return new Fleet.DeviceSim.MqttBrokerSettings
        {
            Host = (string)parts["Host"], Port = int.Parse((string)parts["Port"], CultureInfo.InvariantCulture), KeepAliveSeconds = 5,
        };
    }

    public static MqttClientOptionsBuilder Options(BackingServers servers, string username, string password, string? clientId = null)
    {
        var parts = new DbConnectionStringBuilder { ConnectionString = servers.MqttConnectionString };
        return new MqttClientOptionsBuilder()
            .WithTcpServer((string)parts["Host"], int.Parse((string)parts["Port"], CultureInfo.InvariantCulture))
            .WithCredentials(username, password)
            .WithClientId(clientId ?? username)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTimeout(TimeSpan.FromSeconds(10));
    }

    /// <summary>Connects as the device (last will: offline on its status topic); the CONNACK's code and the device.</summary>
    public static async Task<(MqttClientConnectResultCode Code, MqttDevice Device)> TryConnectAsync(
        BackingServers servers, Guid deviceId, string key, CancellationToken cancellationToken)
    {
        var device = new MqttDevice(deviceId);
        var options = Options(servers, deviceId.ToString(), key)
            .WithWillTopic(FleetMqtt.Topic(deviceId, FleetMqtt.Status))
            .WithWillPayload(FleetMqtt.Offline)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        var result = await device._client.ConnectAsync(options, cancellationToken);
        return (result.ResultCode, device);
    }

    public static async Task<MqttDevice> ConnectAsync(BackingServers servers, Guid deviceId, string key, CancellationToken cancellationToken)
    {
        var (code, device) = await TryConnectAsync(servers, deviceId, key, cancellationToken);
        code.ShouldBe(MqttClientConnectResultCode.Success);
        return device;
    }

    /// <summary>Publishes at QoS 1 as the device; the broker's PUBACK reason.</summary>
    public async Task<MqttClientPublishReasonCode> PublishAsync(string kind, string payload, CancellationToken cancellationToken, Guid? asDevice = null)
    {
        var result = await _client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(FleetMqtt.Topic(asDevice ?? DeviceId, kind))
            .WithPayload(payload)
            .WithContentType(FleetMqtt.JsonContentType)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build(), cancellationToken);
        return result.ReasonCode;
    }

    public Task<MqttClientPublishReasonCode> PublishJsonAsync<T>(string kind, T body, CancellationToken cancellationToken) =>
        PublishAsync(kind, JsonSerializer.Serialize(body, JsonSerializerOptions.Web), cancellationToken);

    public static TelemetryBatchRequest Readings(params long[] seqs) =>
        new([.. seqs.Select(seq => new TelemetryReading(seq, DateTimeOffset.UtcNow, new Dictionary<string, double> { ["temperature"] = 20 + seq % 5 }))]);

    /// <summary>Drops the TCP connection without DISCONNECT, as a device losing power does: the broker sends its last will.</summary>
    public void Vanish() => _client.Dispose();

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
        }

        _client.Dispose();
    }
}
