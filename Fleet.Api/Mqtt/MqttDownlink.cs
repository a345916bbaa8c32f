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
    private readonly MqttSession? _session = broker is null ? null : Session(broker, options.Value.EffectiveClientId, logger);

    public bool Enabled => broker is not null;

    public async Task PublishAsync(Guid deviceId, string kind, byte[] payload, DateTimeOffset? expiresAt, CancellationToken cancellationToken)
    {
        MqttClientPublishResult result;
        try
        {
            var client = _session is null
                ? throw new DeviceLinkException("MQTT is not configured (ConnectionStrings:mqtt).")
                : await _session.ConnectAsync(cancellationToken);
            var message = new MqttApplicationMessageBuilder()
                .WithTopic(FleetMqtt.Topic(deviceId, kind))
                .WithPayload(payload)
                .WithContentType(FleetMqtt.JsonContentType)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
            if (expiresAt is { } at)
            {
                message.WithMessageExpiryInterval((uint)Math.Max(1, Math.Ceiling((at - clock.GetUtcNow()).TotalSeconds)));
            }

            result = await client.PublishAsync(message.Build(), cancellationToken);
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

    public ValueTask DisposeAsync() => _session?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <summary>As the api's service client, a clean session of its own (it only publishes).</summary>
    private static MqttSession Session(MqttBrokerAddress broker, string clientId, ILogger logger)
    {
        var account = broker.ServiceAccount();
        return new MqttSession(
            () => broker.Client($"{clientId}-downlink", account).WithCleanStart().Build(),
            (_, _) =>
            {
                LogConnected(logger, account);
                return Task.CompletedTask;
            });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT downlink connected as {Account}")]
    private static partial void LogConnected(ILogger logger, MqttServiceAccount account);
}
