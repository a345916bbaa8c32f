using System.Text.Json;
using Fleet.Api.Infrastructure;
using Fleet.Api.Mqtt;
using Fleet.Contracts;
using StackExchange.Redis;

namespace Fleet.Api.Rollouts;

/// <summary>Where the hub sends a device's offers, rollbacks and commands: its WebSocket on this replica, or the broker.</summary>
public interface IDeviceConnection
{
    Task SendAsync<T>(T message, CancellationToken cancellationToken);
}

/// <summary>
/// MQTT devices through the same hub: a device's route is <see cref="MqttRoute"/> while it is connected to the broker,
/// so whichever replica has something for it publishes straight to the broker (no replica holds its link). Its reports on
/// <c>commands/ack</c> and <c>updates/progress</c> drive the same state machines as over the socket, and the answers go
/// back down on <c>commands</c> and <c>updates</c>.
/// </summary>
public sealed partial class DeviceChannelHub
{
    /// <summary>The route value of a device connected to the MQTT broker.</summary>
    public const string MqttRoute = "mqtt";

    /// <summary>The device said <c>online</c> (it has subscribed): recorded, routed to the broker, then sent what it has not had yet.</summary>
    public async Task MqttConnectedAsync(Guid deviceId, CancellationToken cancellationToken)
    {
        await RecordLinkAsync(deviceId, DeviceLink.Mqtt, DeviceLinkFields.ConnectedAt);
        // No expiry: a route left behind by a lost last will only costs a publish that finds no subscriber.
        await redis.GetDatabase().StringSetAsync(RedisRoutes.Device(deviceId), MqttRoute);
        var connection = new MqttConnection(deviceId, mqtt);
        await SendOutstandingOffersAsync(deviceId, connection, cancellationToken);
        await SendOutstandingCommandsAsync(deviceId, connection, cancellationToken);
    }

    /// <summary>The device's last will: recorded, and the route forgotten unless it has connected again since (to the broker or a socket).</summary>
    public async Task MqttDisconnectedAsync(Guid deviceId)
    {
        await RecordLinkAsync(deviceId, DeviceLink.Mqtt, DeviceLinkFields.DisconnectedAt);
        await redis.GetDatabase().ScriptEvaluateAsync(ForgetRouteIfOurs, [RedisRoutes.Device(deviceId)], [MqttRoute]);
    }

    /// <summary>A command report or update progress from an MQTT device; the answer goes down to it (best effort, as over the socket).</summary>
    public async Task HandleMqttReportAsync(Guid deviceId, string kind, string text, CancellationToken cancellationToken)
    {
        var connection = new MqttConnection(deviceId, mqtt);
        if (kind == FleetMqtt.CommandAcks)
        {
            await SendQuietlyAsync(deviceId, connection, await HandleCommandReportAsync(deviceId, text, cancellationToken), cancellationToken);
        }
        else
        {
            await SendQuietlyAsync(deviceId, connection, await HandleAsync(deviceId, text, cancellationToken), cancellationToken);
        }
    }

    /// <summary>Commands and their acks go on the device's <c>commands</c> topic; offers, rollbacks and progress acks on <c>updates</c>.</summary>
    private sealed class MqttConnection(Guid deviceId, MqttDownlink downlink) : IDeviceConnection
    {
        public Task SendAsync<T>(T message, CancellationToken cancellationToken)
        {
            var (kind, expiresAt) = message switch
            {
                CommandMessage command => (FleetMqtt.Commands, command.ExpiresAt),
                CommandReportAck => (FleetMqtt.Commands, (DateTimeOffset?)null),
                _ => (FleetMqtt.Updates, null),
            };
            return downlink.PublishAsync(deviceId, kind, JsonSerializer.SerializeToUtf8Bytes(message, JsonSerializerOptions.Web), expiresAt, cancellationToken);
        }
    }
}
