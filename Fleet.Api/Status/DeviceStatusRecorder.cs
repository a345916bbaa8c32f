using System.Text.Json;
using Fleet.Api.Alerts;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Npgsql;
using StackExchange.Redis;

namespace Fleet.Api.Status;


/// <summary>
/// Makes connectivity changes visible: one statement stores them as device events and mirrors them into
/// devices.connectivity, then each is published on Redis pub/sub. Redis stays the source of the current state.
/// </summary>
public sealed class DeviceStatusRecorder(NpgsqlDataSource dataSource, IConnectionMultiplexer redis, AlertSignals alerts, TimeProvider clock, FleetMetrics? metrics = null)
{
    private const string Store = """
        WITH changes AS (
            SELECT c.device_id, c.from_state, c.to_state, c.reason
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS c(device_id, from_state, to_state, reason)
            JOIN devices d ON d.id = c.device_id
        ), mirrored AS (
            UPDATE devices d SET connectivity = changes.to_state FROM changes WHERE d.id = changes.device_id
        )
        INSERT INTO device_events (device_id, at, kind, from_state, to_state, detail)
        SELECT device_id, $5, 'status', from_state, to_state, reason FROM changes
        """;

    public async Task RecordAsync(IReadOnlyList<ConnectivityChange> changes, CancellationToken cancellationToken)
    {
        if (changes.Count == 0)
        {
            return;
        }

        foreach (var change in changes)
        {
            metrics?.StatusChanged(change);
        }

        var at = clock.GetUtcNow();
        await using (var command = dataSource.CreateCommand(Store))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.DeviceId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.From.ToName()).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.To.ToName()).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = changes.Select(c => c.Reason).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = at });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await alerts.MarkChangedAsync(changes.Select(c => c.DeviceId));
        var channel = RedisChannel.Literal(RedisKeys.DeviceStatusChannel);
        var subscriber = redis.GetSubscriber();
        await Task.WhenAll(changes.Select(change => subscriber.PublishAsync(channel,
            JsonSerializer.Serialize(new DeviceStatusMessage(change.DeviceId, change.From.ToName(), change.To.ToName(), at, change.Reason), JsonSerializerOptions.Web))));
    }
}
