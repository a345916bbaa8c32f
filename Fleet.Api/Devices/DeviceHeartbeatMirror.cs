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
/// <para>
/// A firmware change is also where a silent rollback shows: a device its rollout counts healthy on the release that
/// now reports another version fell back by itself or was reflashed, so the same statement marks its update failed
/// ("silent rollback: reported 1.0.0, assigned 1.1.0") and the rollout's gate counts it. A device reporting a version
/// that no release for its type has and that it never ran before gets a <c>firmware-unassigned</c> event. Only devices
/// whose firmware changed (from the registry's, or between heartbeats of one interval) are looked at, so a heartbeat
/// that changes nothing costs nothing more; the change and its consequences commit together.
/// </para>
/// </summary>
public sealed partial class DeviceHeartbeatMirror(
    NpgsqlDataSource dataSource,
    IOptions<FleetOptions> options,
    DeviceChangeNotifier changes,
    ILogger<DeviceHeartbeatMirror> logger) : PeriodicFlusher(options.Value.HeartbeatMirrorInterval)
{
    // Every sub-statement sees the rows as they were before the update, so "before" holds the old firmware, slot and
    // rollout states. Only the server moves an update from healthy to failed (see DeviceUpdateTransitions).
    private const string Mirror = """
        WITH beats AS (
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::float8[], $6::float8[], $7::bool[])
                AS b(device_id, firmware, slot, seen_at, lat, lon, firmware_changed)
        ), before AS (
            SELECT d.id, d.firmware_version, d.active_slot, d.type FROM devices d JOIN beats b ON b.device_id = d.id
        ), mirrored AS (
            UPDATE devices d SET
                firmware_version = b.firmware,
                active_slot = b.slot,
                last_seen_at = GREATEST(d.last_seen_at, b.seen_at),
                latitude = COALESCE(b.lat, d.latitude),
                longitude = COALESCE(b.lon, d.longitude)
            FROM beats b WHERE d.id = b.device_id
        ), changed AS (
            SELECT b.device_id, b.firmware, b.slot, b.seen_at, before.firmware_version AS previous, before.active_slot AS previous_slot, before.type,
                   before.firmware_version IS DISTINCT FROM b.firmware OR b.firmware_changed AS firmware_moved
            FROM beats b JOIN before ON before.id = b.device_id
            WHERE before.firmware_version IS DISTINCT FROM b.firmware OR before.active_slot IS DISTINCT FROM b.slot OR b.firmware_changed
        ), fell_back AS (
            UPDATE rollout_devices rd SET state = 'failed', reason = s.reason, failure_reason = s.reason, state_changed_at = s.seen_at
            FROM (
                SELECT c.device_id, c.seen_at, x.rollout_id, f.version, format('silent rollback: reported %s, assigned %s', c.firmware, f.version) AS reason
                FROM changed c
                JOIN rollout_devices x ON x.device_id = c.device_id AND x.state = 'healthy'
                JOIN rollouts r ON r.id = x.rollout_id AND r.state IN ('running', 'paused')
                JOIN firmware_releases f ON f.id = r.release_id AND f.version <> c.firmware
                WHERE c.firmware_moved
            ) s
            WHERE rd.rollout_id = s.rollout_id AND rd.device_id = s.device_id AND rd.state = 'healthy'
            RETURNING rd.device_id, s.seen_at, s.version, s.reason
        ), unassigned AS (
            SELECT c.device_id, c.seen_at, c.firmware, c.type FROM changed c
            WHERE c.previous IS NOT NULL AND c.previous <> c.firmware
              AND NOT EXISTS (SELECT 1 FROM firmware_releases f WHERE f.version = c.firmware AND c.type = ANY(f.device_types))
              AND NOT EXISTS (
                  SELECT 1 FROM device_events e WHERE e.device_id = c.device_id AND e.kind = 'firmware'
                    AND (starts_with(e.detail, c.firmware || ' (slot ') OR strpos(e.detail, ' -> ' || c.firmware || ' (slot ') > 0))
        ), logged AS (
            INSERT INTO device_events (device_id, at, kind, from_state, to_state, detail)
            SELECT c.device_id, c.seen_at, 'firmware', NULL, NULL,
                   format('%s (slot %s) -> %s (slot %s)', coalesce(c.previous, 'unknown'), coalesce(c.previous_slot, '?'), c.firmware, c.slot)
            FROM changed c WHERE c.previous IS DISTINCT FROM c.firmware OR c.previous_slot IS DISTINCT FROM c.slot
            UNION ALL
            SELECT device_id, seen_at, 'update', 'healthy', 'failed', left(version || ': ' || reason, 256) FROM fell_back
            UNION ALL
            SELECT device_id, seen_at, 'firmware-unassigned', NULL, NULL,
                   left(format('reported %s: no release for a %s has it, and the device never ran it before', firmware, type), 256)
            FROM unassigned
            RETURNING device_id, kind, detail, at
        )
        SELECT device_id, kind, detail, at FROM logged
        """;

    private ConcurrentDictionary<Guid, MirroredHeartbeat> _pending = new();

    public void Record(Guid deviceId, HeartbeatRequest heartbeat, DateTimeOffset at) =>
        _pending.AddOrUpdate(
            deviceId,
            static (_, newest) => newest,
            static (_, earlier, newest) => MirroredHeartbeat.Newer(earlier, newest),
            new MirroredHeartbeat(heartbeat.Firmware!, heartbeat.Slot!, at, heartbeat.Location?.Lat, heartbeat.Location?.Lon));

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
                _pending.AddOrUpdate(deviceId, heartbeat, (_, newer) => MirroredHeartbeat.Newer(heartbeat, newer));
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
        command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Value.FirmwareChanged).ToArray() });
        var (changed, fellBack, unassigned) = (new List<DeviceChangeMessage>(), 0, 0);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                switch (reader.GetString(1))
                {
                    case "firmware":
                        changed.Add(new DeviceChangeMessage(reader.GetGuid(0), "firmware", reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
                        break;
                    case "update":
                        fellBack++;
                        break;
                    default:
                        unassigned++;
                        break;
                }
            }
        }

        if (fellBack + unassigned > 0)
        {
            LogFirmwareSurprises(logger, fellBack, unassigned);
        }

        changes.Publish(changed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mirroring {Devices} heartbeats into the registry failed; they are retried with the next flush")]
    private static partial void LogMirrorFailed(ILogger logger, int devices, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The registry refused the heartbeat of device {DeviceId} (SQLSTATE {SqlState}); it is dropped, the device's next heartbeat is mirrored")]
    private static partial void LogRowDropped(ILogger logger, Guid deviceId, string? sqlState, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{FellBack} devices left the release their rollout counted them healthy on (silent rollback; marked failed), {Unassigned} reported a version nobody assigned")]
    private static partial void LogFirmwareSurprises(ILogger logger, int fellBack, int unassigned);

    /// <summary><c>FirmwareChanged</c>: heartbeats of this interval reported more than one version, which the newest alone would hide.</summary>
    private sealed record MirroredHeartbeat(string Firmware, string Slot, DateTimeOffset SeenAt, double? Lat, double? Lon, bool FirmwareChanged = false)
    {
        public static MirroredHeartbeat Newer(MirroredHeartbeat a, MirroredHeartbeat b)
        {
            var (older, newer) = a.SeenAt <= b.SeenAt ? (a, b) : (b, a);
            return older.FirmwareChanged || older.Firmware != newer.Firmware ? newer with { FirmwareChanged = true } : newer;
        }
    }
}
