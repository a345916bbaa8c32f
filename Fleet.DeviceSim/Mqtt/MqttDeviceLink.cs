using System.Text;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.DeviceSim.Channels;
using Fleet.DeviceSim.Commands;
using Fleet.DeviceSim.Identity;
using Fleet.DeviceSim.Updates;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace Fleet.DeviceSim.Mqtt;

/// <summary>
/// One MQTT device's connection to the broker (MQTT 5, QoS 1 throughout), the transport alternative to the WebSocket
/// <see cref="DeviceLink"/>: it connects as its device id with its key as password, leaves a last will of
/// <c>offline</c> on <c>fleet/{id}/status</c>, says <c>online</c> there after each connect, subscribes to its own
/// commands and updates, and publishes heartbeats, telemetry, command acks and update progress. A lost connection is
/// reconnected with exponential backoff and jitter; a refusal as not authorized waits long and is logged once.
/// </summary>
public sealed partial class MqttDeviceLink : IDeviceTransport
{
    private const int MaxFailures = 16;
    private const int WriterBufferBytes = 512;
    private const int WriterBufferMaxBytes = 2048;
    private static readonly MqttClientFactory Factory = new();
    private static readonly byte[] OnlinePayload = Encoding.UTF8.GetBytes(FleetMqtt.Online);
    private static readonly byte[] OfflinePayload = Encoding.UTF8.GetBytes(FleetMqtt.Offline);
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DisconnectTimeout = TimeSpan.FromSeconds(2);

    private readonly DeviceChannels _channels;
    private readonly DeviceMessages _messages;
    private readonly Lock _lock = new();
    private IMqttClient? _client;
    private CancellationTokenSource? _session;
    private int _failures;
    private bool _refusalLogged;
    private long _lastSent;

    public MqttDeviceLink(VirtualDevice device, DeviceChannels channels)
    {
        Device = device;
        _channels = channels;
        _messages = new DeviceMessages(device, this, channels);
    }

    public VirtualDevice Device { get; }

    public DeviceUpdater Updater => _messages.Updater;

    public DeviceCommands Commands => _messages.Commands;

    public bool IsOpen => Volatile.Read(ref _client) is { IsConnected: true };

    /// <summary>Reports (command acks, update progress) the broker has not taken yet; they go again on reconnect.</summary>
    public int Undelivered => _messages.Undelivered;

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            if (await _channels.WhenConnectableAsync(Device, stopping) is not { } identity)
            {
                continue;
            }

            var wait = await ConnectAndServeAsync(identity, stopping);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _channels.Clock, stopping);
            }
        }
    }

    public void Disconnect()
    {
        lock (_lock)
        {
            _session?.Cancel();
        }
    }

    public async Task ReportAsync(string key, string state, object message, CancellationToken cancellationToken)
    {
        _messages.Keep(key, state, message);
        await TryPublishReportAsync(key, state, message, cancellationToken);
    }

    public Task RebootAsync(CancellationToken cancellationToken) => _channels.RebootAsync(this, cancellationToken);

    public Task<ApiOutcome> SendHeartbeatAsync(HeartbeatRequest heartbeat, CancellationToken cancellationToken) =>
        SendAsync(FleetMqtt.Heartbeat, JsonSerializer.SerializeToUtf8Bytes(heartbeat, JsonSerializerOptions.Web), cancellationToken);

    public Task<ApiOutcome> SendTelemetryAsync(TelemetryBatchRequest batch, CancellationToken cancellationToken) =>
        SendAsync(FleetMqtt.Telemetry, JsonSerializer.SerializeToUtf8Bytes(batch, JsonSerializerOptions.Web), cancellationToken);

    /// <summary>One connection from connect to loss; returns how long to wait before the next attempt.</summary>
    private async Task<TimeSpan> ConnectAndServeAsync(DeviceIdentity identity, CancellationToken stopping)
    {
        var keepAlive = TimeSpan.FromSeconds(_channels.Broker.KeepAliveSeconds);
        var client = Factory.CreateMqttClient(new DeclaredKeepAliveAdapterFactory(keepAlive));
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var lost = new TaskCompletionSource<MqttClientDisconnectReason>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += args =>
        {
            lost.TrySetResult(args.Reason);
            return Task.CompletedTask;
        };
        client.ApplicationMessageReceivedAsync += args => _messages.DispatchAsync(args.ApplicationMessage.Payload);
        var connected = false;
        try
        {
            var refused = await ConnectAsync(client, identity, stopping);
            if (refused is { } wait)
            {
                return wait;
            }

            connected = true;
            Volatile.Write(ref _lastSent, _channels.Clock.GetTimestamp());
            lock (_lock)
            {
                _session = session;
                Volatile.Write(ref _client, client);
            }

            _channels.Status.MqttConnected();
            _refusalLogged = false;
            // A device that went down while connecting leaves at once.
            if (Device.IsDown(_channels.Clock.GetUtcNow()))
            {
                return TimeSpan.Zero;
            }

            if (_channels.Downlink)
            {
                // Clean start, so every connect subscribes anew: the api re-sends what a device has not answered (as it does
                // over the WebSocket, which has no session), and a broker session per device would queue duplicates for
                // every device while it is away.
                await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                    .WithTopicFilter(FleetMqtt.Topic(identity.DeviceId, FleetMqtt.Commands), MqttQualityOfServiceLevel.AtLeastOnce)
                    .WithTopicFilter(FleetMqtt.Topic(identity.DeviceId, FleetMqtt.Updates), MqttQualityOfServiceLevel.AtLeastOnce)
                    .Build(), session.Token);
            }

            // After subscribing: the api answers "online" with what the device has not had yet (offers, queued commands).
            await PublishAsync(client, identity.DeviceId, FleetMqtt.Status, OnlinePayload, json: false, session.Token);
            _failures = 0;
            foreach (var (key, state, message) in _messages.Pending())
            {
                await TryPublishReportAsync(key, state, message, session.Token);
            }

            var reason = await KeepAliveAsync(client, keepAlive, lost.Task, session.Token);
            _failures = Math.Min(_failures + 1, MaxFailures);
            LogDisconnected(_channels.Logger, Device.Serial, reason);
        }
        catch (OperationCanceledException) when (session.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            // Disconnect(): the device went down or offline; the run loop waits until it is up.
            return TimeSpan.Zero;
        }
        catch (Exception exception) when (exception is MqttCommunicationException or OperationCanceledException && !stopping.IsCancellationRequested)
        {
            _failures = Math.Min(_failures + 1, MaxFailures);
            LogConnectionLost(_channels.Logger, Device.Serial, exception.Message);
        }
        finally
        {
            lock (_lock)
            {
                _session = null;
                Volatile.Write(ref _client, null);
            }

            if (connected)
            {
                _channels.Status.MqttDisconnected();
            }

            await LeaveAsync(client);
        }

        return RetryBackoff.After(_failures, _channels.MaxBackoff, Random.Shared);
    }

    /// <summary>
    /// Waits for the connection's loss while keeping it alive as the keep-alive in the CONNECT promises: a device quiet for
    /// half of it pings, and a ping unanswered within the other half is a lost connection, as in MQTTnet's own loop.
    /// </summary>
    private async Task<MqttClientDisconnectReason> KeepAliveAsync(IMqttClient client, TimeSpan keepAlive, Task<MqttClientDisconnectReason> lost, CancellationToken session)
    {
        var half = keepAlive / 2;
        while (!lost.IsCompleted)
        {
            var quiet = _channels.Clock.GetElapsedTime(Volatile.Read(ref _lastSent));
            if (quiet >= half)
            {
                using var unanswered = new CancellationTokenSource(half, _channels.Clock);
                using var ping = CancellationTokenSource.CreateLinkedTokenSource(session, unanswered.Token);
                Volatile.Write(ref _lastSent, _channels.Clock.GetTimestamp());
                await client.PingAsync(ping.Token);
                quiet = TimeSpan.Zero;
            }

            var woke = await Task.WhenAny(lost, Task.Delay(half - quiet, _channels.Clock, session));
            // The session's cancellation surfaces here as when waiting for the loss alone.
            await woke;
        }

        return await lost;
    }

    /// <summary>Connects in turn with the rest of the fleet; null when connected, else how long to wait before trying again.</summary>
    private async Task<TimeSpan?> ConnectAsync(IMqttClient client, DeviceIdentity identity, CancellationToken stopping)
    {
        var clientId = identity.DeviceId.ToString();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(_channels.Broker.Host, _channels.Broker.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(clientId)
            .WithCredentials(clientId, identity.DeviceKey)
            .WithCleanStart(true)
            // None for MQTTnet's own loop; the CONNECT still declares Broker.KeepAliveSeconds (DeclaredKeepAliveAdapterFactory).
            .WithKeepAlivePeriod(TimeSpan.Zero)
            .WithTimeout(OperationTimeout)
            .WithWillTopic(FleetMqtt.Topic(identity.DeviceId, FleetMqtt.Status))
            .WithWillPayload(OfflinePayload)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithWillRetain(false)
            .Build();
        // Each client keeps its packet writer's buffer for life (4 KB by default, up to 64 KB after a large packet):
        // heartbeats and telemetry are a few hundred bytes, and ten thousand devices hold ten thousand of these.
        options.WriterBufferSize = WriterBufferBytes;
        options.WriterBufferSizeMax = WriterBufferMaxBytes;

        await _channels.ConnectTurns.WaitAsync(stopping);
        MqttClientConnectResultCode code;
        string reason;
        try
        {
            var result = await client.ConnectAsync(options, stopping);
            (code, reason) = (result.ResultCode, result.ReasonString ?? result.ResultCode.ToString());
        }
        catch (Exception exception) when (exception is MqttCommunicationException or OperationCanceledException && !stopping.IsCancellationRequested)
        {
            (code, reason) = (MqttClientConnectResultCode.UnspecifiedError, exception.Message);
        }
        finally
        {
            _channels.ConnectTurns.Release();
        }

        if (code == MqttClientConnectResultCode.Success)
        {
            return null;
        }

        if (code is MqttClientConnectResultCode.NotAuthorized or MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.Banned)
        {
            _channels.Status.MqttNotAuthorized();
            var backoff = TimeSpan.FromSeconds(_channels.Broker.NotAuthorizedBackoffSeconds);
            if (!_refusalLogged)
            {
                _refusalLogged = true;
                LogNotAuthorized(_channels.Logger, Device.Serial, identity.DeviceId, code, backoff.TotalSeconds);
            }

            return RetryBackoff.Jittered(backoff, Random.Shared);
        }

        _failures = Math.Min(_failures + 1, MaxFailures);
        _channels.Status.MqttConnectFailed();
        LogConnectFailed(_channels.Logger, Device.Serial, reason);
        return RetryBackoff.After(_failures, _channels.MaxBackoff, Random.Shared);
    }

    /// <summary>
    /// Disconnects with the will: a device that leaves (a reboot, the offline fault, the simulator stopping) is offline,
    /// and the will tells the broker's subscribers so at once rather than after the keep-alive runs out.
    /// </summary>
    private static async Task LeaveAsync(IMqttClient client)
    {
        try
        {
            if (client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(DisconnectTimeout);
                await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder()
                    .WithReason(MqttClientDisconnectOptionsReason.DisconnectWithWillMessage)
                    .Build(), timeout.Token);
            }
        }
        catch (Exception exception) when (exception is MqttCommunicationException or OperationCanceledException)
        {
            // The connection is gone already; nothing is left to close politely.
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>A heartbeat or telemetry, answered as the HTTP path answers, so the reporter backs off and keeps readings the same way.</summary>
    private async Task<ApiOutcome> SendAsync(string kind, byte[] payload, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _client) is not { IsConnected: true } client || Device.Identity is not { } identity)
        {
            return ApiOutcome.Unavailable("not connected to the MQTT broker");
        }

        try
        {
            var result = await PublishAsync(client, identity.DeviceId, kind, payload, json: true, cancellationToken);
            return result.ReasonCode switch
            {
                MqttClientPublishReasonCode.Success => new ApiOutcome(ApiOutcomeKind.Accepted, null, "published"),
                // Nobody took it (the api's collector is not subscribed): kept and sent again, as when the api is down over HTTP.
                MqttClientPublishReasonCode.NoMatchingSubscribers => ApiOutcome.Unavailable("the broker has no subscriber for it"),
                MqttClientPublishReasonCode.NotAuthorized or MqttClientPublishReasonCode.TopicNameInvalid or MqttClientPublishReasonCode.PayloadFormatInvalid =>
                    new ApiOutcome(ApiOutcomeKind.Rejected, null, $"the broker refused it: {result.ReasonCode}"),
                _ => ApiOutcome.Unavailable($"the broker did not take it: {result.ReasonCode}"),
            };
        }
        catch (Exception exception) when (exception is MqttCommunicationException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return ApiOutcome.Unavailable(exception.Message);
        }
    }

    /// <summary>Publishes a report when connected; one the broker does not take now waits for the next connection.</summary>
    private async Task TryPublishReportAsync(string key, string state, object message, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _client) is not { IsConnected: true } client || Device.Identity is not { } identity)
        {
            return;
        }

        var kind = message is CommandReport ? FleetMqtt.CommandAcks : FleetMqtt.UpdateProgress;
        try
        {
            var payload = JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), JsonSerializerOptions.Web);
            var result = await PublishAsync(client, identity.DeviceId, kind, payload, json: true, cancellationToken);
            if (result.ReasonCode == MqttClientPublishReasonCode.Success)
            {
                _messages.Delivered(key, state);
            }
        }
        catch (Exception exception) when (exception is MqttCommunicationException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogSendFailed(_channels.Logger, Device.Serial, exception.Message);
        }
    }

    private Task<MqttClientPublishResult> PublishAsync(IMqttClient client, Guid deviceId, string kind, byte[] payload, bool json, CancellationToken cancellationToken)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(FleetMqtt.Topic(deviceId, kind))
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (json)
        {
            message.WithContentType(FleetMqtt.JsonContentType);
        }

        Volatile.Write(ref _lastSent, _channels.Clock.GetTimestamp());
        return client.PublishAsync(message.Build(), cancellationToken);
    }

    public void Dispose()
    {
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "MQTT connection of {Serial} could not be made: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string serial, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "MQTT connection of {Serial} lost: {Reason}")]
    private static partial void LogConnectionLost(ILogger logger, string serial, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "MQTT connection of {Serial} lost: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, string serial, MqttClientDisconnectReason reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The broker refused {Serial} ({DeviceId}) as not authorized ({Code}): a wrong key, or the device is suspended or retired; trying again every {Seconds:0} s")]
    private static partial void LogNotAuthorized(ILogger logger, string serial, Guid deviceId, MqttClientConnectResultCode code, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Report of {Serial} not published now ({Reason}); it goes again on reconnect")]
    private static partial void LogSendFailed(ILogger logger, string serial, string reason);
}
