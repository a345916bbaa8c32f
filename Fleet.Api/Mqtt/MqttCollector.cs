using System.Buffers;
using Fleet.Contracts;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleet.Api.Mqtt;

/// <summary>
/// Takes this replica's share of the devices' MQTT messages and acknowledges each to the broker only once
/// <see cref="MqttIngest"/> has stored it (or dropped it for a reason). The session is persistent (QoS 1, clean start off,
/// a stable client id per replica), so what was delivered but not acknowledged when the api stopped or crashed is
/// delivered again when it reconnects. It lives in the api, not its own process: the ingest path (validation, dedup,
/// group commit, rate limits) is the HTTP path's, with no hop in between, and each replica adds a share.
/// </summary>
public sealed partial class MqttCollector(
    MqttBrokerAddress broker, BrokerDeviceIdentities identities, MqttIngest ingest, MqttDrops drops, IOptions<MqttOptions> options, ILogger<MqttCollector> logger)
    : BackgroundService
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private int _inFlight;
    private BrokerConnection _connection = BrokerConnection.Ended;

    /// <summary>Connected and subscribed.</summary>
    public bool IsCollecting { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var link = stoppingToken.Register(() => Volatile.Read(ref _connection).End());
        drops.Meter.CreateObservableGauge("fleet.mqtt.collector.in_flight", () => Volatile.Read(ref _inFlight), "{message}",
            "Messages this replica received and has not yet acknowledged to the broker (Mosquitto 2.0.11 may send past the receive maximum).");
        var account = broker.ServiceAccount();
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await identities.EnsureServiceAccessAsync(account, stoppingToken);
                var connection = new BrokerConnection();
                Volatile.Write(ref _connection, connection);
                var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Task OnDisconnected(MqttClientDisconnectedEventArgs _)
                {
                    connection.End();
                    IsCollecting = false;
                    disconnected.TrySetResult();
                    return Task.CompletedTask;
                }

                _client.DisconnectedAsync += OnDisconnected;
                try
                {
                    var result = await _client.ConnectAsync(Options(account), stoppingToken);
                    if (result.ResultCode == MqttClientConnectResultCode.NotAuthorized)
                    {
                        // The admin's password changed since the service client was made; it gets the one derived from the new.
                        LogServicePasswordReset(logger, account);
                        await identities.ResetServicePasswordAsync(account, stoppingToken);
                        continue;
                    }

                    if (result.ResultCode != MqttClientConnectResultCode.Success)
                    {
                        throw new BrokerChangeFailedException($"The broker refused the collector: {result.ResultCode}.");
                    }

                    var subscribe = new MqttClientSubscribeOptionsBuilder();
                    foreach (var kind in MqttIngest.Kinds)
                    {
                        subscribe.WithTopicFilter($"$share/{options.Value.ShareGroup}/{FleetMqtt.Root}/+/{kind}", MqttQualityOfServiceLevel.AtLeastOnce);
                    }

                    await _client.SubscribeAsync(subscribe.Build(), stoppingToken);
                    IsCollecting = true;
                    LogCollecting(logger, options.Value.EffectiveClientId, options.Value.ShareGroup, result.IsSessionPresent);
                    await disconnected.Task.WaitAsync(stoppingToken);
                    LogDisconnected(logger);
                }
                finally
                {
                    _client.DisconnectedAsync -= OnDisconnected;
                    connection.End();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                LogBrokerUnavailable(logger, broker, exception);
            }

            try
            {
                await Task.Delay(options.Value.RetryDelay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private MqttClientOptions Options(MqttServiceAccount account) => broker.Client(options.Value.EffectiveClientId, account)
        .WithCleanStart(false)
        .WithSessionExpiryInterval((uint)options.Value.SessionExpirySeconds)
        .WithReceiveMaximum((ushort)options.Value.ReceiveMaximum)
        .Build();

    /// <summary>Runs up to the first wait on the client's receive loop; the rest (the durable write) runs on, and acknowledges at the end.</summary>
    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs received)
    {
        received.AutoAcknowledge = false;
        var message = received.ApplicationMessage;
        var connection = Volatile.Read(ref _connection);
        Interlocked.Increment(ref _inFlight);

        // The client may reuse the payload's memory once this handler returns.
        _ = HandleAsync(received, connection, message.Topic, message.Payload.ToArray());
        return Task.CompletedTask;
    }

    private async Task HandleAsync(MqttApplicationMessageReceivedEventArgs received, BrokerConnection connection, string topic, byte[] payload)
    {
        try
        {
            try
            {
                // Its connection gone, a message waiting out a store outage is given up: the broker sends it again.
                await ingest.HandleAsync(topic, payload, connection.Closed);
            }
            catch (Exception exception) when (!connection.Closed.IsCancellationRequested)
            {
                LogHandlingFailed(logger, topic, exception);
                await drops.DropAsync(null, topic, MqttDropReason.Failed, exception.Message, CancellationToken.None);
            }

            // A packet identifier names a message only on the connection it came on: acknowledged on the next one, it would
            // acknowledge whichever message the broker gave that identifier there. The broker sends this one again instead.
            // The collector reconnects no sooner than RetryDelay after a disconnection, so a check passed here is not overtaken.
            if (!connection.Closed.IsCancellationRequested)
            {
                await received.AcknowledgeAsync(CancellationToken.None);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException || connection.Closed.IsCancellationRequested || !_client.IsConnected)
        {
            // Stopping, or the connection dropped: unacknowledged, so the broker delivers it to this session again.
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Lets messages being stored finish and be acknowledged (up to the host's shutdown timeout), then disconnects; the session stays.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        while (Volatile.Read(ref _inFlight) > 0 && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(20, CancellationToken.None);
        }

        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
        }
    }

    public override void Dispose()
    {
        _client.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT collector {ClientId} takes its share of group {ShareGroup} (session resumed: {SessionPresent})")]
    private static partial void LogCollecting(ILogger logger, string clientId, string shareGroup, bool sessionPresent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT collector lost its connection to the broker; reconnecting")]
    private static partial void LogDisconnected(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT broker {Broker} unavailable to the collector; trying again")]
    private static partial void LogBrokerUnavailable(ILogger logger, MqttBrokerAddress broker, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT service client {Account} refused; setting its password from the admin's")]
    private static partial void LogServicePasswordReset(ILogger logger, MqttServiceAccount account);

    [LoggerMessage(Level = LogLevel.Error, Message = "An MQTT message on {Topic} could not be handled; it was dropped")]
    private static partial void LogHandlingFailed(ILogger logger, string topic, Exception exception);
}

/// <summary>One connection of the collector to the broker, and whether it is over.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A CancellationTokenSource with no timer, link or wait handle holds nothing to release, and late messages read its token.")]
internal sealed class BrokerConnection
{
    public static readonly BrokerConnection Ended = CreateEnded();

    private readonly CancellationTokenSource _closed = new();

    /// <summary>Cancelled when the connection is over (or the api stops); never disposed, as late messages still read it.</summary>
    public CancellationToken Closed => _closed.Token;

    public void End() => _closed.Cancel();

    private static BrokerConnection CreateEnded()
    {
        var ended = new BrokerConnection();
        ended.End();
        return ended;
    }
}

/// <summary>
/// Degraded, not unhealthy, while the collector is not taking its share: HTTP devices and operators are served as ever,
/// and the broker keeps this replica's session queue until it is back.
/// </summary>
public sealed class MqttCollectorHealthCheck(MqttCollector collector) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(collector.IsCollecting
            ? HealthCheckResult.Healthy("Taking this replica's share of the devices' MQTT messages.")
            : HealthCheckResult.Degraded("The MQTT collector is not connected to the broker; MQTT devices' messages wait there."));
}
