using Npgsql;

namespace Fleet.Api.Rollouts;

public enum ProgressOutcome
{
    Recorded,

    /// <summary>The device was in that state already (a repeated message).</summary>
    Unchanged,

    /// <summary>The move is not in <see cref="DeviceUpdateTransitions"/> (e.g. healthy → downloading).</summary>
    Illegal,

    /// <summary>The device is not part of the rollout.</summary>
    NotFound,
}

/// <summary>
/// Records what a device reports about its update; the device WebSocket channel calls it for every progress
/// message. The update applies only if the state is still the one the transition was checked from, so two
/// messages racing (or a controller timeout meanwhile) cannot skip the state machine.
/// </summary>
public sealed class RolloutDeviceProgress(NpgsqlDataSource dataSource, TimeProvider clock)
{
    private const string Read = "SELECT state FROM rollout_devices WHERE rollout_id = $1 AND device_id = $2";

    // A finished attempt (healthy, failed, rolled back) also goes into the device's own history, with the version it was about.
    private const string Move = """
        WITH moved AS (
            UPDATE rollout_devices SET state = $3, reason = $4, state_changed_at = $5,
                failure_reason = CASE WHEN $3 = 'failed' THEN coalesce($4, 'failed') ELSE failure_reason END,
                rollback_requested = rollback_requested AND $3 <> 'rolled-back'
            WHERE rollout_id = $1 AND device_id = $2 AND state = $6
            RETURNING device_id
        ), logged AS (
            INSERT INTO device_events (device_id, at, kind, from_state, to_state, detail)
            SELECT m.device_id, $5, 'update', $6, $3, left(f.version || coalesce(': ' || $4, ''), 256)
            FROM moved m JOIN rollouts r ON r.id = $1 JOIN firmware_releases f ON f.id = r.release_id
            WHERE $3 IN ('healthy', 'failed', 'rolled-back')
        )
        SELECT count(*)::int FROM moved
        """;

    /// <summary>Offers sent: the devices still pending become offered in one statement (one that already reported progress stays ahead).</summary>
    public async Task RecordOfferedAsync(Guid rolloutId, Guid[] deviceIds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE rollout_devices SET state = 'offered', reason = NULL, state_changed_at = $3
            WHERE rollout_id = $1 AND device_id = ANY($2) AND state = 'pending'
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = rolloutId });
        command.Parameters.Add(new NpgsqlParameter { Value = deviceIds });
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<ProgressOutcome> RecordDeviceProgressAsync(
        Guid rolloutId, Guid deviceId, DeviceUpdateState newState, string? reason, CancellationToken cancellationToken)
    {
        if (reason is { Length: > RolloutDeviceLimits.Reason })
        {
            reason = reason[..RolloutDeviceLimits.Reason];
        }

        while (true)
        {
            DeviceUpdateState current;
            await using (var read = dataSource.CreateCommand(Read))
            {
                read.Parameters.Add(new NpgsqlParameter { Value = rolloutId });
                read.Parameters.Add(new NpgsqlParameter { Value = deviceId });
                if (await read.ExecuteScalarAsync(cancellationToken) is not string name)
                {
                    return ProgressOutcome.NotFound;
                }

                current = DeviceUpdateStateNames.Parse(name);
            }

            if (current == newState)
            {
                return ProgressOutcome.Unchanged;
            }

            if (!DeviceUpdateTransitions.CanMove(current, newState))
            {
                return ProgressOutcome.Illegal;
            }

            await using var move = dataSource.CreateCommand(Move);
            move.Parameters.Add(new NpgsqlParameter { Value = rolloutId });
            move.Parameters.Add(new NpgsqlParameter { Value = deviceId });
            move.Parameters.Add(new NpgsqlParameter { Value = newState.ToName() });
            move.Parameters.Add(new NpgsqlParameter { Value = (object?)reason ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
            move.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
            move.Parameters.Add(new NpgsqlParameter { Value = current.ToName() });
            if (await move.ExecuteScalarAsync(cancellationToken) is 1)
            {
                return ProgressOutcome.Recorded;
            }
        }
    }
}
