using System.Diagnostics.Metrics;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;

namespace Fleet.Api.Mqtt;

/// <summary>Why the collector dropped a device's message instead of storing it.</summary>
public enum MqttDropReason
{
    /// <summary>Not <c>fleet/{deviceId}/{kind}</c>, or a kind the collector does not take.</summary>
    Topic,
    /// <summary>No such device in this fleet's registry.</summary>
    UnknownDevice,
    /// <summary>The device is new, suspended or retired.</summary>
    NotInService,
    /// <summary>Not JSON, the wrong shape, or values out of range.</summary>
    Invalid,
    /// <summary>Larger than an HTTP body of the same kind may be.</summary>
    TooLarge,
    /// <summary>Past the device's per-minute allowance, the same as HTTP's.</summary>
    RateLimited,
    /// <summary>A fault in the collector; logged as an error.</summary>
    Failed,
}

/// <summary>
/// The <c>Fleet.Mqtt</c> meter, and the device's event history for drops an operator should see: a bad payload is never
/// stored, never stops the collector, and is counted by reason; per device, kind and reason at most one event a minute says why.
/// </summary>
public sealed class MqttDrops
{
    public const string MeterName = "Fleet.Mqtt";
    private static readonly TimeSpan EventInterval = TimeSpan.FromMinutes(1);

    private readonly NpgsqlDataSource _dataSource;
    private readonly IMemoryCache _recent;
    private readonly TimeProvider _clock;
    private readonly Counter<long> _messages;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _retries;

    public MqttDrops(NpgsqlDataSource dataSource, IMemoryCache recent, TimeProvider clock, IMeterFactory meterFactory)
    {
        (_dataSource, _recent, _clock) = (dataSource, recent, clock);
        Meter = meterFactory.Create(MeterName);
        _messages = Meter.CreateCounter<long>("fleet.mqtt.messages", "{message}", "Device messages the collector handled and acknowledged to the broker, by kind.");
        _dropped = Meter.CreateCounter<long>("fleet.mqtt.messages.dropped", "{message}", "Device messages acknowledged to the broker but not stored, by reason.");
        _retries = Meter.CreateCounter<long>("fleet.mqtt.store.retries", "{attempt}", "Times a message waited for a store that was unavailable.");
    }

    public Meter Meter { get; }

    public void Handled(string kind) => _messages.Add(1, new KeyValuePair<string, object?>("fleet.mqtt.kind", kind));

    public void Retried() => _retries.Add(1);

    public async Task DropAsync(Guid? deviceId, string kind, MqttDropReason reason, string detail, CancellationToken cancellationToken)
    {
        var name = ReasonName(reason);
        _dropped.Add(1, new KeyValuePair<string, object?>("fleet.mqtt.kind", kind), new KeyValuePair<string, object?>("fleet.mqtt.reason", name));
        // Only devices of this fleet have an event history; an unknown id's flood must not become rows.
        if (deviceId is not { } id || reason is MqttDropReason.UnknownDevice || !_recent.TryAdd(new Recent(id, kind, reason), EventInterval))
        {
            return;
        }

        await using var command = _dataSource.CreateCommand(
            "INSERT INTO device_events (device_id, at, kind, detail) SELECT id, $2, 'mqtt-dropped', $3 FROM devices WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = _clock.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter { Value = Truncate($"{kind} message dropped ({name}): {detail}", 256) });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static string ReasonName(MqttDropReason reason) => reason switch
    {
        MqttDropReason.UnknownDevice => "unknown-device",
        MqttDropReason.NotInService => "not-in-service",
        MqttDropReason.TooLarge => "too-large",
        MqttDropReason.RateLimited => "rate-limited",
        _ => reason.ToString().ToLowerInvariant(),
    };

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];

    private sealed record Recent(Guid DeviceId, string Kind, MqttDropReason Reason);
}

internal static class MemoryCacheExtensions
{
    /// <summary>True when the key was absent and is now set for <paramref name="ttl"/>.</summary>
    public static bool TryAdd(this IMemoryCache cache, object key, TimeSpan ttl)
    {
        if (cache.TryGetValue(key, out _))
        {
            return false;
        }

        cache.Set(key, true, ttl);
        return true;
    }
}
