using Fleet.Contracts;
using Npgsql;

namespace Fleet.Api.Rollouts;

/// <summary>The rollout engine's gate input: one grouped count over the rollout's devices and their health marks.</summary>
public sealed partial class RolloutEngine
{
    /// <summary>
    /// The gate's counts: devices by update state and by each health signal, and the phase's devices not started yet.
    /// Reboots and errors count from the phase's start for devices still waiting, and from their update (plus the
    /// grace) for updated ones, never before the phase began; so an updated device is watched no longer than a
    /// waiting one, which leans towards passing, not breaching. A boot that an operator's reboot command explains (from the
    /// command's creation until the grace after its delivery last changed: sent, accepted, or the device's report that it
    /// rebooted) is not a crash.
    /// </summary>
    private async Task<GateInput> GateInputAsync(Rollout rollout, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var phase = PhaseLimits(rollout);
        var windowStart = rollout.PhaseStartedAt ?? rollout.StartedAt ?? now;
        var marks = await health.SinceAsync(windowStart);
        await using var command = dataSource.CreateCommand($"""
            WITH boots AS (SELECT * FROM unnest($9::uuid[], $10::timestamptz[]) AS b(device_id, at)),
                 errs AS (SELECT * FROM unnest($11::uuid[], $12::timestamptz[]) AS e(device_id, at)),
                 watched AS (
                     SELECT rd.*, CASE WHEN rd.state = 'healthy' THEN greatest($13, rd.state_changed_at + $14) ELSE $13 END AS since
                     FROM rollout_devices rd WHERE rd.rollout_id = $1)
            SELECT rd.state, d.connectivity = 'offline', rd.state = 'waiting' AND {InPhase},
                   coalesce(b.at > rd.since AND NOT EXISTS (
                       SELECT 1 FROM command_deliveries cd JOIN commands c ON c.id = cd.command_id
                       WHERE cd.device_id = rd.device_id AND c.name = '{CommandNames.Reboot}' AND cd.state IN ('sent', 'accepted', 'completed')
                         AND b.at BETWEEN c.created_at AND cd.updated_at + $14), false),
                   coalesce(e.at > rd.since, false), count(*)::int
            FROM watched rd JOIN devices d ON d.id = rd.device_id
            LEFT JOIN boots b ON b.device_id = rd.device_id
            LEFT JOIN errs e ON e.device_id = rd.device_id
            GROUP BY 1, 2, 3, 4, 5
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = rollout.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = 0 });
        command.Parameters.Add(new NpgsqlParameter { Value = Active });
        AddPhaseParameters(command, phase);
        command.Parameters.Add(new NpgsqlParameter { Value = marks.Boots.Keys.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = marks.Boots.Values.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = marks.Errors.Keys.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = marks.Errors.Values.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = windowStart });
        command.Parameters.Add(new NpgsqlParameter { Value = options.Value.HealthGrace });
        var (cohort, healthy, failed, inFlight, notYet) = (0, 0, 0, 0, 0);
        var (updated, waiting) = (new HealthSample(), new HealthSample());
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var state = DeviceUpdateStateNames.Parse(reader.GetString(0));
                var count = reader.GetInt32(5);
                var seen = new HealthSample(count, reader.GetBoolean(1) ? count : 0, reader.GetBoolean(3) ? count : 0, reader.GetBoolean(4) ? count : 0);
                switch (state)
                {
                    case DeviceUpdateState.Waiting:
                        waiting += seen;
                        notYet += reader.GetBoolean(2) ? count : 0;
                        continue;
                    case DeviceUpdateState.Healthy:
                        healthy += count;
                        updated += seen;
                        break;
                    case DeviceUpdateState.Failed or DeviceUpdateState.RolledBack:
                        failed += count;
                        break;
                    default:
                        inFlight += count;
                        break;
                }

                cohort += count;
            }
        }

        return new GateInput(
            rollout.Plan.Phases[rollout.PhaseIndex],
            now - (rollout.PhaseStartedAt ?? now),
            cohort, healthy, failed, inFlight, updated, waiting, notYet, rollout.Plan.MinimumExecuted);
    }
}
