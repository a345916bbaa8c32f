using System.Collections.Concurrent;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Fleet.Api.Devices;

/// <summary>
/// Mirrors what heartbeats say into the registry (firmware, slot, last seen, location) so operator lists can
/// filter and sort by them. Redis holds the live values; this keeps only each device's newest heartbeat and
/// writes them all in one statement per interval, so PostgreSQL sees one update per device per interval, not
/// one per heartbeat. A firmware or slot change is stored as a device event and announced to the UI. What is pending when the process
/// dies is rewritten by the device's next heartbeat.
/// </summary>
public sealed partial class DeviceHeartbeatMirror(
    NpgsqlDataSource dataSource,
    IOptions<FleetOptions> options,
    DeviceChangeNotifier changes,
    ILogger<DeviceHeartbeatMirror> logger) : PeriodicFlusher(options.Value.HeartbeatMirrorInterval)
{
    // Every sub-statement sees the rows as they were before the update, so "before" holds the old firmware and slot.
    private const string Mirror = """
        WITH beats AS (
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::float8[], $6::float8[])
                AS b(device_id, firmware, slot, seen_at, lat, lon)
        ), before AS (
            SELECT d.id, d.firmware_version, d.active_slot FROM devices d JOIN beats b ON b.device_id = d.id
        ), mirrored AS (
            UPDATE devices d SET
                firmware_version = b.firmware,
                active_slot = b.slot,
                last_seen_at = GREATEST(d.last_seen_at, b.seen_at),
                latitude = COALESCE(b.lat, d.latitude),
                longitude = COALESCE(b.lon, d.longitude)
            FROM beats b WHERE d.id = b.device_id
        )
        INSERT INTO device_events (device_id, at, kind, detail)
        SELECT b.device_id, b.seen_at, 'firmware',
               format('%s (slot %s) -> %s (slot %s)', coalesce(before.firmware_version, 'unknown'), coalesce(before.active_slot, '?'), b.firmware, b.slot)
        FROM beats b JOIN before ON before.id = b.device_id
        WHERE before.firmware_version IS DISTINCT FROM b.firmware OR before.active_slot IS DISTINCT FROM b.slot
        RETURNING device_id, detail, at
        """;

    private ConcurrentDictionary<Guid, MirroredHeartbeat> _pending = new();

    public void Record(Guid deviceId, HeartbeatRequest heartbeat, DateTimeOffset at) =>
        _pending[deviceId] = new MirroredHeartbeat(heartbeat.Firmware!, heartbeat.Slot!, at, heartbeat.Location?.Lat, heartbeat.Location?.Lon);

    /// <summary>
    /// Writes what is pending. When the database is out of reach every row is kept for the next try (the newer of old and
    /// new heartbeats); a row PostgreSQL refuses for what it holds is dropped and logged, and the rest are written.
    /// </summary>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        var batch = Interlocked.Exchange(ref _pending, new ConcurrentDictionary<Guid, MirroredHeartbeat>());
        if (batch.IsEmpty)
        {
            return;
        }

        // Ordered by id so concurrent replicas lock rows in the same order.
        var rows = batch.OrderBy(entry => entry.Key).ToArray();
        try
        {
            await WriteIsolatingAsync(rows, cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            LogMirrorFailed(logger, rows.Length, exception);
            foreach (var (deviceId, heartbeat) in rows)
            {
                _pending.AddOrUpdate(deviceId, heartbeat, (_, newer) => newer.SeenAt >= heartbeat.SeenAt ? newer : heartbeat);
            }
        }
    }

    /// <summary>One statement for all rows; if PostgreSQL refuses it for its data, each half on its own, down to the row at fault.</summary>
    private async Task WriteIsolatingAsync(ArraySegment<KeyValuePair<Guid, MirroredHeartbeat>> rows, CancellationToken cancellationToken)
    {
        try
        {
            await WriteAsync(rows, cancellationToken);
        }
        catch (Exception exception) when (exception is PostgresException { IsTransient: false } or ArgumentException)
        {
            if (rows.Count == 1)
            {
                LogRowDropped(logger, rows[0].Key, (exception as PostgresException)?.SqlState, exception);
                return;
            }

            var half = rows.Count / 2;
            await WriteIsolatingAsync(rows[..half], cancellationToken);
            await WriteIsolatingAsync(rows[half..], cancellationToken);
        }
    }

    private async Task WriteAsync(ArraySegment<KeyValuePair<Guid, MirroredHeartbeat>> rows, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Mirror);
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Key).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Value.Firmware).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Value.Slot).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Value.SeenAt).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Value.Lat).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Value.Lon).ToArray() });
        var changed = new List<DeviceChangeMessage>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                changed.Add(new DeviceChangeMessage(reader.GetGuid(0), "firmware", reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
            }
        }

        changes.Publish(changed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mirroring {Devices} heartbeats into the registry failed; they are retried with the next flush")]
    private static partial void LogMirrorFailed(ILogger logger, int devices, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The registry refused the heartbeat of device {DeviceId} (SQLSTATE {SqlState}); it is dropped, the device's next heartbeat is mirrored")]
    private static partial void LogRowDropped(ILogger logger, Guid deviceId, string? sqlState, Exception exception);

    private sealed record MirroredHeartbeat(string Firmware, string Slot, DateTimeOffset SeenAt, double? Lat, double? Lon);
}
