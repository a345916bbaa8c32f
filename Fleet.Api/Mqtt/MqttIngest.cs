using System.Text.Json;
using Fleet.Api.Devices;
using Fleet.Api.Infrastructure;
using Fleet.Api.Rollouts;
using Fleet.Api.Status;
using Fleet.Api.Telemetry;
using Fleet.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Fleet.Api.Mqtt;

/// <summary>
/// One device message from the broker, handled as its HTTP twin is: the same validation, per-device rate limits, dedup
/// and durability. <see cref="HandleAsync"/> returns once the message is stored or dropped for a reason (then the
/// collector acknowledges it to the broker); while a store is unavailable it waits and tries again, and it throws only
/// when the api is stopping, so the message stays unacknowledged and the broker delivers it again.
/// </summary>
public sealed class MqttIngest(
    MqttDeviceDirectory directory,
    TelemetryIngest telemetry,
    TelemetryRateLimiter telemetryLimiter,
    DeviceHeartbeats heartbeats,
    DeviceStatusTracker status,
    DeviceStatusRecorder recorder,
    DeviceChannelHub hub,
    MqttReportBudget reportBudget,
    IConnectionMultiplexer redis,
    MqttDrops drops,
    IOptions<TelemetryOptions> telemetryOptions,
    IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
    IOptions<MqttOptions> options)
{
    /// <summary>The up topics the collector subscribes to.</summary>
    public static IReadOnlyList<string> Kinds { get; } = FleetMqtt.DeviceUpTopics;

    /// <summary>As the device channel's WebSocket messages.</summary>
    private const int MaxReportBytes = 16 * 1024;

    public async Task HandleAsync(string topic, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!FleetMqtt.TryParse(topic, out var deviceId, out var kind) || !Kinds.Contains(kind))
        {
            await drops.DropAsync(null, topic, MqttDropReason.Topic, "not a topic the collector takes", cancellationToken);
            return;
        }

        switch (await LifecycleAsync(deviceId, cancellationToken))
        {
            case null:
                await drops.DropAsync(deviceId, kind, MqttDropReason.UnknownDevice, "no such device", cancellationToken);
                return;
            case { } lifecycle when lifecycle != DeviceLifecycle.Active:
                await drops.DropAsync(deviceId, kind, MqttDropReason.NotInService, $"the device is {lifecycle.ToName()}", cancellationToken);
                return;
        }

        var handled = kind switch
        {
            FleetMqtt.Telemetry => TelemetryAsync(deviceId, payload, cancellationToken),
            FleetMqtt.Heartbeat => HeartbeatAsync(deviceId, payload, cancellationToken),
            FleetMqtt.Status => StatusAsync(deviceId, payload, cancellationToken),
            _ => ReportAsync(deviceId, kind, payload, cancellationToken),
        };
        if (await handled is { } drop)
        {
            await drops.DropAsync(deviceId, kind, drop.Reason, drop.Detail, cancellationToken);
            return;
        }

        drops.Handled(kind);
    }

    /// <summary>A device is not dropped as unknown because the database could not say: the lookup waits for it.</summary>
    private async Task<DeviceLifecycle?> LifecycleAsync(Guid deviceId, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await directory.LifecycleAsync(deviceId, cancellationToken);
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                await WaitForStoreAsync(cancellationToken);
            }
        }
    }

    private async Task<Drop?> TelemetryAsync(Guid deviceId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (payload.Length > telemetryOptions.Value.MaxBodyBytes)
        {
            return new Drop(MqttDropReason.TooLarge, $"{payload.Length} bytes; at most {telemetryOptions.Value.MaxBodyBytes}");
        }

        if (telemetryLimiter.RetryAfter(deviceId) is not null)
        {
            return new Drop(MqttDropReason.RateLimited, $"more than {telemetryOptions.Value.RequestsPerDevicePerMinute} telemetry messages a minute");
        }

        while (true)
        {
            if (telemetry.Parse(deviceId, payload.Span, out var parsed) is { } invalid)
            {
                return new Drop(MqttDropReason.Invalid, Describe(invalid.Errors));
            }

            if (await telemetry.StoreAsync(deviceId, parsed!, cancellationToken) is TelemetryOutcome.Stored)
            {
                return null;
            }

            await WaitForStoreAsync(cancellationToken);
        }
    }

    private async Task<Drop?> HeartbeatAsync(Guid deviceId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (payload.Length > RequestBodyLimits.DeviceMessage)
        {
            return new Drop(MqttDropReason.TooLarge, $"{payload.Length} bytes; at most {RequestBodyLimits.DeviceMessage}");
        }

        HeartbeatRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<HeartbeatRequest>(payload.Span, json.Value.SerializerOptions);
        }
        catch (JsonException exception)
        {
            return new Drop(MqttDropReason.Invalid, $"not a heartbeat: {exception.Message}");
        }

        if (request is null)
        {
            return new Drop(MqttDropReason.Invalid, "not a heartbeat: null");
        }

        while (true)
        {
            switch (await heartbeats.RecordAsync(deviceId, request, cancellationToken))
            {
                case HeartbeatOutcome.Recorded:
                    return null;
                case HeartbeatOutcome.Invalid invalid:
                    return new Drop(MqttDropReason.Invalid, Describe(invalid.Errors));
                case HeartbeatOutcome.RateLimited:
                    return new Drop(MqttDropReason.RateLimited, "more heartbeats a minute than allowed");
                default:
                    await WaitForStoreAsync(cancellationToken);
                    break;
            }
        }
    }

    /// <summary><c>online</c> after a device connects, <c>offline</c> from its last will when the connection died.</summary>
    private async Task<Drop?> StatusAsync(Guid deviceId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var text = payload.Length <= 16 ? System.Text.Encoding.UTF8.GetString(payload.Span).Trim() : "";
        if (text is not (FleetMqtt.Online or FleetMqtt.Offline))
        {
            return new Drop(MqttDropReason.Invalid, $"status must be '{FleetMqtt.Online}' or '{FleetMqtt.Offline}'");
        }

        while (true)
        {
            try
            {
                ConnectivityChange? change;
                if (text == FleetMqtt.Online)
                {
                    // The last heartbeat's battery decides online or at-risk, as a heartbeat would.
                    var battery = (double?)await redis.GetDatabase().HashGetAsync(RedisKeys.Latest(deviceId), "battery") ?? 100;
                    change = await status.SeenAsync(deviceId, battery, "mqtt connected");
                    await hub.MqttConnectedAsync(deviceId, cancellationToken);
                }
                else
                {
                    change = await status.DisconnectedAsync(deviceId, "mqtt connection lost (last will)");
                    await hub.MqttDisconnectedAsync(deviceId);
                }

                if (change is not null)
                {
                    await recorder.RecordAsync([change], cancellationToken);
                }

                return null;
            }
            catch (Exception exception) when (StoreUnavailable.IsOutage(exception) || exception is NpgsqlException or TimeoutException)
            {
                await WaitForStoreAsync(cancellationToken);
            }
        }
    }

    /// <summary>A command's report or an update's progress: the channel's JSON, through the same hub as over the socket.</summary>
    private async Task<Drop?> ReportAsync(Guid deviceId, string kind, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (payload.Length > MaxReportBytes)
        {
            return new Drop(MqttDropReason.TooLarge, $"{payload.Length} bytes; at most {MaxReportBytes}");
        }

        if (!reportBudget.Take(deviceId))
        {
            return new Drop(MqttDropReason.RateLimited,
                $"more than {DeviceChannelHub.MaxMessagesPerWindow} reports in {DeviceChannelHub.FloodWindow.TotalSeconds:0} s");
        }

        var text = System.Text.Encoding.UTF8.GetString(payload.Span);
        while (true)
        {
            try
            {
                await hub.HandleMqttReportAsync(deviceId, kind, text, cancellationToken);
                return null;
            }
            catch (Exception exception) when (exception is NpgsqlException or RedisException or TimeoutException)
            {
                await WaitForStoreAsync(cancellationToken);
            }
        }
    }

    private async Task WaitForStoreAsync(CancellationToken cancellationToken)
    {
        drops.Retried();
        await Task.Delay(options.Value.RetryDelay, cancellationToken);
    }

    private static string Describe(Dictionary<string, string[]> errors) =>
        string.Join("; ", errors.Select(error => $"{error.Key} {string.Join(", ", error.Value)}"));

    private sealed record Drop(MqttDropReason Reason, string Detail);
}
