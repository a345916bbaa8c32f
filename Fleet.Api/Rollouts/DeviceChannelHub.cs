using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Fleet.Api.Commands;
using Fleet.Api.Infrastructure;
using Fleet.Api.Mqtt;
using Fleet.Contracts;
using Npgsql;
using StackExchange.Redis;

namespace Fleet.Api.Rollouts;

/// <summary>
/// The device WebSockets this replica holds, and the routing of offers and commands to whichever replica holds a
/// device's socket: a Redis key per connected device names its replica, and each replica listens on a pub/sub channel
/// of its own. A device that is not connected keeps its update pending (its command queued) and gets it when it
/// reconnects (to any replica); so a lost routed message costs a retry after the per-device timeout, never the update.
/// </summary>
public sealed partial class DeviceChannelHub(
    IConnectionMultiplexer redis,
    NpgsqlDataSource dataSource,
    RolloutDeviceProgress progress,
    CommandDeliveries commands,
    MqttDownlink mqtt,
    TimeProvider clock,
    ILogger<DeviceChannelHub> logger)
{
    private const int MaxMessageBytes = 16 * 1024;
    private static readonly TimeSpan RouteTtl = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<Guid, DeviceConnection> _connections = new();
    private Task? _subscription;
    private object? _subscriptionLock;

    public string ReplicaId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    public int Connected => _connections.Count;

    /// <summary>Serves one device's socket until it closes: outstanding offers and commands first, then its messages.</summary>
    public async Task RunAsync(Guid deviceId, WebSocket socket, CancellationToken cancellationToken)
    {
        await EnsureSubscribedAsync();
        using var connection = new DeviceConnection(socket);
        if (_connections.TryGetValue(deviceId, out var previous))
        {
            previous.Abort();
        }

        _connections[deviceId] = connection;
        await redis.GetDatabase().StringSetAsync(RedisRoutes.Device(deviceId), ReplicaId, RouteTtl);
        await RecordLinkAsync(deviceId, DeviceLink.WebSocket, DeviceLinkFields.ConnectedAt);
        try
        {
            await SendOutstandingOffersAsync(deviceId, connection, cancellationToken);
            await SendOutstandingCommandsAsync(deviceId, connection, cancellationToken);
            await ReceiveAsync(deviceId, connection, cancellationToken);
        }
        catch (WebSocketException exception) when (exception.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely)
        {
            // A device that drops its link without a close handshake (power loss, reboot) is routine, not a server error.
            LogDroppedConnection(logger, deviceId);
        }
        finally
        {
            // A newer socket of the same device on this replica keeps the route.
            if (_connections.TryRemove(KeyValuePair.Create(deviceId, connection)) && !_connections.ContainsKey(deviceId))
            {
                await redis.GetDatabase().ScriptEvaluateAsync(ForgetRouteIfOurs, [RedisRoutes.Device(deviceId)], [ReplicaId]);
                await RecordLinkAsync(deviceId, DeviceLink.WebSocket, DeviceLinkFields.DisconnectedAt);
            }
        }
    }

    /// <summary>For the device page: the device's link (its WebSocket or the broker) opened or closed now.</summary>
    private Task RecordLinkAsync(Guid deviceId, string protocol, string field) =>
        redis.GetDatabase().HashSetAsync(RedisKeys.Latest(deviceId),
            [new(DeviceLinkFields.Transport, protocol), new(field, clock.GetUtcNow().ToUnixTimeMilliseconds())]);

    /// <summary>
    /// Delivers offers: over local sockets (sent side by side, then recorded as offered in one statement per rollout),
    /// through the holding replica's channel (routes looked up in one pipelined batch), or not at all while the
    /// device is offline. A tick that enrolls thousands of devices costs a few round trips, not one per device.
    /// </summary>
    public async Task OfferAsync(IReadOnlyList<(Guid DeviceId, UpdateOffer Offer)> offers, CancellationToken cancellationToken)
    {
        var targets = offers.Select(o => (Offer: o, Connection: _connections.GetValueOrDefault(o.DeviceId))).ToList();
        var sent = await Task.WhenAll(targets.Where(t => t.Connection is not null).Select(async t =>
            await TrySendAsync(t.Offer.DeviceId, t.Connection!, t.Offer.Offer, cancellationToken) ? t.Offer : default));
        foreach (var rollout in sent.Where(o => o.Offer is not null).GroupBy(o => o.Offer.RolloutId))
        {
            await progress.RecordOfferedAsync(rollout.Key, [.. rollout.Select(o => o.DeviceId)], cancellationToken);
        }

        var remote = targets.Where(t => t.Connection is null).Select(t => t.Offer).ToList();
        var database = redis.GetDatabase();
        var replicas = await Task.WhenAll(remote.Select(o => database.StringGetAsync(RedisRoutes.Device(o.DeviceId))));
        await Task.WhenAll(remote.Zip(replicas).Where(pair => pair.Second.HasValue).Select(pair =>
            RouteAsync(pair.Second!, new RoutedMessage(pair.First.DeviceId, pair.First.Offer, null), cancellationToken)));
    }

    /// <summary>Tells connected devices of a rolled-back rollout to go back to their previous slot; the others hear it on reconnect.</summary>
    public async Task RequestRollbackAsync(Guid rolloutId, Guid releaseId, IReadOnlyList<Guid> devices, CancellationToken cancellationToken)
    {
        var request = new RollbackRequest(DeviceChannel.Rollback, rolloutId, releaseId);
        var database = redis.GetDatabase();
        foreach (var deviceId in devices)
        {
            if (_connections.TryGetValue(deviceId, out var local))
            {
                await SendQuietlyAsync(deviceId, local, request, cancellationToken);
                continue;
            }

            var replica = await database.StringGetAsync(RedisRoutes.Device(deviceId));
            if (replica.HasValue)
            {
                await RouteAsync(replica!, new RoutedMessage(deviceId, null, request), cancellationToken);
            }
        }
    }

    /// <summary>Subscribes this replica's channel once; a failed attempt is forgotten so the next connection tries again.</summary>
    private async Task EnsureSubscribedAsync()
    {
        var subscription = LazyInitializer.EnsureInitialized(ref _subscription, ref _subscriptionLock, SubscribeAsync);
        try
        {
            await subscription;
        }
        catch (RedisException)
        {
            _ = Interlocked.CompareExchange(ref _subscription, null, subscription);
            throw;
        }
    }

    private Task SubscribeAsync() =>
        redis.GetSubscriber().SubscribeAsync(
            RedisChannel.Literal(RedisRoutes.Replica(ReplicaId)),
            (channel, message) => _ = DeliverRoutedAsync(message.ToString()));

    private async Task DeliverRoutedAsync(string json)
    {
        RoutedMessage? routed;
        try
        {
            routed = JsonSerializer.Deserialize<RoutedMessage>(json, JsonSerializerOptions.Web);
        }
        catch (JsonException exception)
        {
            LogUnreadableRoute(logger, exception);
            return;
        }

        if (routed is not null && _connections.TryGetValue(routed.DeviceId, out var connection))
        {
            await DeliverAsync(connection, routed, CancellationToken.None);
        }
    }

    /// <summary>To the replica holding the device's socket, or straight to the broker for a device on MQTT (any replica may publish).</summary>
    private Task RouteAsync(string replica, RoutedMessage routed, CancellationToken cancellationToken) =>
        replica == MqttRoute
            ? DeliverAsync(new MqttConnection(routed.DeviceId, mqtt), routed, cancellationToken)
            : redis.GetSubscriber().PublishAsync(RedisChannel.Literal(RedisRoutes.Replica(replica)), JsonSerializer.Serialize(routed, JsonSerializerOptions.Web));

    private async Task DeliverAsync(IDeviceConnection connection, RoutedMessage routed, CancellationToken cancellationToken)
    {
        if (routed.Offer is { } offer)
        {
            await DeliverAsync(routed.DeviceId, connection, offer, cancellationToken);
        }

        if (routed.Rollback is { } rollback)
        {
            await SendQuietlyAsync(routed.DeviceId, connection, rollback, cancellationToken);
        }

        if (routed.Command is { } command)
        {
            await DeliverCommandAsync(routed.DeviceId, connection, command, cancellationToken);
        }
    }

    private async Task SendOutstandingOffersAsync(Guid deviceId, IDeviceConnection connection, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT rd.rollout_id, r.release_id, f.version, f.sha256, f.size
            FROM rollout_devices rd
            JOIN rollouts r ON r.id = rd.rollout_id
            JOIN firmware_releases f ON f.id = r.release_id
            WHERE rd.device_id = $1 AND r.state = 'running' AND rd.state = ANY($2)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        command.Parameters.Add(new NpgsqlParameter { Value = OutstandingStates });
        var offers = new List<UpdateOffer>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                offers.Add(Offer(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4)));
            }
        }

        foreach (var offer in offers)
        {
            await DeliverAsync(deviceId, connection, offer, cancellationToken);
        }

        await using var rollbacks = dataSource.CreateCommand("""
            SELECT rd.rollout_id, r.release_id
            FROM rollout_devices rd JOIN rollouts r ON r.id = rd.rollout_id
            WHERE rd.device_id = $1 AND rd.rollback_requested AND r.state = 'rolled-back'
            """);
        rollbacks.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        var requests = new List<RollbackRequest>();
        await using (var reader = await rollbacks.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                requests.Add(new RollbackRequest(DeviceChannel.Rollback, reader.GetGuid(0), reader.GetGuid(1)));
            }
        }

        foreach (var request in requests)
        {
            await SendQuietlyAsync(deviceId, connection, request, cancellationToken);
        }
    }

    private async Task SendQuietlyAsync<T>(Guid deviceId, IDeviceConnection connection, T message, CancellationToken cancellationToken)
    {
        try
        {
            await connection.SendAsync(message, cancellationToken);
        }
        catch (Exception exception) when (exception is WebSocketException or DeviceLinkException or ObjectDisposedException or OperationCanceledException)
        {
            LogDeliveryFailed(logger, deviceId, exception);
        }
    }

    private static readonly string[] OutstandingStates = [DeviceUpdateState.Pending.ToName(), .. DeviceUpdateTransitions.InFlight.Select(s => s.ToName())];

    public static UpdateOffer Offer(Guid rolloutId, Guid releaseId, string version, string sha256, long size) =>
        new(DeviceChannel.Offer, rolloutId, releaseId, version, sha256.Trim(), size, FirmwareHttp.Download(releaseId));

    private async Task<bool> TrySendAsync(Guid deviceId, IDeviceConnection connection, UpdateOffer offer, CancellationToken cancellationToken)
    {
        try
        {
            await connection.SendAsync(offer, cancellationToken);
            return true;
        }
        catch (Exception exception) when (exception is WebSocketException or DeviceLinkException or ObjectDisposedException or OperationCanceledException)
        {
            LogDeliveryFailed(logger, deviceId, exception);
            return false;
        }
    }

    /// <summary>Sends the offer, then records it: a pending update becomes offered (its timeout starts now).</summary>
    private async Task DeliverAsync(Guid deviceId, IDeviceConnection connection, UpdateOffer offer, CancellationToken cancellationToken)
    {
        try
        {
            await connection.SendAsync(offer, cancellationToken);
            await progress.RecordDeviceProgressAsync(offer.RolloutId, deviceId, DeviceUpdateState.Offered, null, cancellationToken);
        }
        catch (Exception exception) when (exception is WebSocketException or DeviceLinkException or ObjectDisposedException or OperationCanceledException)
        {
            LogDeliveryFailed(logger, deviceId, exception);
        }
    }

    private async Task ReceiveAsync(Guid deviceId, DeviceConnection connection, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxMessageBytes];
        var budget = new MessageBudget();
        while (connection.Socket.State == WebSocketState.Open)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (length == buffer.Length)
                {
                    await connection.Socket.CloseAsync(WebSocketCloseStatus.MessageTooBig, $"Messages are limited to {MaxMessageBytes} bytes.", cancellationToken);
                    return;
                }

                result = await connection.Socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                length += result.Count;
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                await connection.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                return;
            }

            if (!budget.Take())
            {
                LogFlood(logger, deviceId);
                await connection.Socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation,
                    $"More than {MaxMessagesPerWindow} messages in {FloodWindow.TotalSeconds} s.", cancellationToken);
                return;
            }

            var text = Encoding.UTF8.GetString(buffer, 0, length);
            object reply;
            try
            {
                await redis.GetDatabase().KeyExpireAsync(RedisRoutes.Device(deviceId), RouteTtl);
                reply = IsCommandReport(text)
                    ? await HandleCommandReportAsync(deviceId, text, cancellationToken)
                    : await HandleAsync(deviceId, text, cancellationToken);
            }
            catch (Exception exception) when (exception is NpgsqlException or RedisException or TimeoutException)
            {
                // The store is briefly out of reach: say so and keep the socket; the device sends the message again.
                LogStoreUnavailable(logger, deviceId, exception);
                reply = new ProgressAck(DeviceChannel.Error, null, null, "unavailable", "The message was not recorded; send it again.");
            }

            await connection.SendAsync(reply, cancellationToken);
        }
    }

    private async Task<ProgressAck> HandleAsync(Guid deviceId, string text, CancellationToken cancellationToken)
    {
        UpdateProgress? message;
        try
        {
            message = JsonSerializer.Deserialize<UpdateProgress>(text, FleetTextConverter.DeviceMessages);
        }
        catch (JsonException exception)
        {
            return new ProgressAck(DeviceChannel.Error, null, null, "unreadable", exception.Message);
        }

        if (message is null || message.Type != DeviceChannel.Progress)
        {
            return new ProgressAck(DeviceChannel.Error, message?.RolloutId, message?.State, "unreadable", "Send {\"type\":\"progress\",\"rolloutId\",\"state\",\"reason\"?}.");
        }

        if (!DeviceUpdateTransitions.TryParse(message.State, out var state) || !DeviceUpdateTransitions.Reportable.Contains(state))
        {
            return new ProgressAck(DeviceChannel.Error, message.RolloutId, message.State, "unreadable",
                $"state must be one of {string.Join(", ", DeviceUpdateTransitions.Reportable.Select(s => s.ToName()))}.");
        }

        if (!IsCleanText(message.Reason))
        {
            return new ProgressAck(DeviceChannel.Error, message.RolloutId, message.State, "unreadable", "reason must not hold control characters.");
        }

        var outcome = await progress.RecordDeviceProgressAsync(message.RolloutId, deviceId, state, message.Reason, cancellationToken);
        return new ProgressAck(DeviceChannel.Ack, message.RolloutId, state.ToName(), outcome switch
        {
            ProgressOutcome.Recorded => "recorded",
            ProgressOutcome.Unchanged => "unchanged",
            ProgressOutcome.Illegal => "illegal",
            _ => "not-found",
        });
    }

    private const string ForgetRouteIfOurs = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

    private sealed record RoutedMessage(Guid DeviceId, UpdateOffer? Offer, RollbackRequest? Rollback, CommandMessage? Command = null);

    /// <summary>One socket; WebSocket sends must not overlap, so they take turns.</summary>
    private sealed class DeviceConnection(WebSocket socket) : IDeviceConnection, IDisposable
    {
        private readonly SemaphoreSlim _send = new(1, 1);

        public WebSocket Socket => socket;

        public async Task SendAsync<T>(T message, CancellationToken cancellationToken)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(message, JsonSerializerOptions.Web);
            await _send.WaitAsync(cancellationToken);
            try
            {
                await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
            finally
            {
                _send.Release();
            }
        }

        public void Abort() => socket.Abort();

        public void Dispose() => _send.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {DeviceId} flooded its channel; the socket was closed")]
    private static partial void LogFlood(ILogger logger, Guid deviceId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Device {DeviceId} dropped its channel without closing it")]
    private static partial void LogDroppedConnection(ILogger logger, Guid deviceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message of device {DeviceId} was not recorded; the device was asked to send it again")]
    private static partial void LogStoreUnavailable(ILogger logger, Guid deviceId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unreadable routed offer on this replica's channel")]
    private static partial void LogUnreadableRoute(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Offer to device {DeviceId} not delivered; it is re-sent on reconnect or retried after the timeout")]
    private static partial void LogDeliveryFailed(ILogger logger, Guid deviceId, Exception exception);
}

/// <summary>Redis keys and channels of the device channel.</summary>
public static class RedisRoutes
{
    /// <summary>String: the replica holding the device's WebSocket.</summary>
    public static string Device(Guid deviceId) => $"fleet:channel:device:{deviceId:N}";

    /// <summary>Pub/sub channel of one replica: offers for devices whose socket it holds.</summary>
    public static string Replica(string replicaId) => $"fleet:channel:replica:{replicaId}";
}
