using Fleet.Contracts;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleet.Api.Mqtt;

/// <summary>A device's down message was not taken: the broker is away, or the device is not connected and subscribed.</summary>
public sealed class DeviceLinkException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Publishes commands, offers and answers to MQTT devices (QoS 1, as the api's service client) and reports whether the
/// broker had a subscriber for them: a device that is not connected gets nothing now and everything outstanding when it
/// says <c>online</c> again. A command's expiry becomes the message's MQTT expiry interval. Without
/// <c>ConnectionStrings:mqtt</c> it is disabled.
/// </summary>
public sealed partial class MqttDownlink(MqttBrokerAddress? broker, IOptions<MqttOptions> options, TimeProvider clock, ILogger<MqttDownlink> logger)
    : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly SemaphoreSlim _connecting = new(1, 1);

    public bool Enabled => broker is not null;

    public async Task PublishAsync(Guid deviceId, string kind, byte[] payload, DateTimeOffset? expiresAt, CancellationToken cancellationToken)
    {
        MqttClientPublishResult result;
        try
        {
            await ConnectAsync(cancellationToken);
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(FleetMqtt.Topic(deviceId, kind))
                .WithPayload(payload)
                .WithContentType(FleetMqtt.JsonContentType)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
            if (expiresAt is { } at)
            {
                message.WithMessageExpiryInterval((uint)Math.Max(1, Math.Ceiling((at - clock.GetUtcNow()).TotalSeconds)));
            }

            result = await _client.PublishAsync(message.Build(), cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new DeviceLinkException($"The MQTT broker did not take the message for device {deviceId}: {exception.Message}", exception);
        }

        if (result.ReasonCode != MqttClientPublishReasonCode.Success)
        {
            throw new DeviceLinkException($"Device {deviceId} did not get its {kind} message: {result.ReasonCode}.");
        }
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (broker is null)
        {
            throw new DeviceLinkException("MQTT is not configured (ConnectionStrings:mqtt).");
        }

        if (_client.IsConnected)
        {
            return;
        }

        await _connecting.WaitAsync(cancellationToken);
        try
        {
            if (!_client.IsConnected)
            {
                var account = broker.ServiceAccount();
                var result = await _client.ConnectAsync(new MqttClientOptionsBuilder()
                    .WithTcpServer(broker.Host, broker.Port)
                    .WithCredentials(account.Username, account.Password)
                    .WithClientId($"{options.Value.EffectiveClientId}-downlink")
                    .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
                    .WithCleanStart()
                    .WithTimeout(TimeSpan.FromSeconds(10))
                    .Build(), cancellationToken);
                if (result.ResultCode != MqttClientConnectResultCode.Success)
                {
                    throw new DeviceLinkException($"The MQTT broker refused the api's downlink: {result.ResultCode}.");
                }

                LogConnected(logger, account);
            }
        }
        finally
        {
            _connecting.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
        }

        _client.Dispose();
        _connecting.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT downlink connected as {Account}")]
    private static partial void LogConnected(ILogger logger, MqttServiceAccount account);
}
