using System.Collections.Concurrent;
using Fleet.Api.Audit;
using Fleet.Api.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Fleet.Api.Rollouts;

/// <summary>What one tick did, summed over the running rollouts.</summary>
public sealed record RolloutTickReport(int Rollouts, int Enrolled, int Retried, int TimedOut, int Evaluations, int Moves);

/// <summary>
/// One controller tick over the running rollouts: time out stuck devices (retry, then fail; offer again to pending ones
/// that never took their offer), enroll the current
/// phase's next devices up to maxConcurrentUpdates (after adding devices that joined the target), evaluate the gate when due, and act on it (advance, pause,
/// roll back). Every query is by rollout and update state on an index, so a tick costs what changed plus one
/// grouped count per gate evaluation, not a scan of the fleet.
/// </summary>
public sealed partial class RolloutEngine(
    IServiceScopeFactory scopes,
    NpgsqlDataSource dataSource,
    DeviceChannelHub channel,
    DeviceHealthMarks health,
    IOptions<RolloutOptions> options,
    TimeProvider clock,
    ILogger<RolloutEngine> logger)
{
    private static readonly string[] InFlight = [.. DeviceUpdateTransitions.InFlight.Select(s => s.ToName())];
    private static readonly string[] Active = [DeviceUpdateState.Pending.ToName(), .. InFlight];

    // When each rollout's gate was last stored, per phase, and whether its phase had settled then (nothing pending or
    // in flight). A new phase (or promotion) is evaluated at once; so is a phase that has just settled, and a settled
    // phase again when its soak ends — so a zero-soak rollout advances a tick after its devices finish, not a gate
    // interval later. Otherwise every gate interval.
    private readonly ConcurrentDictionary<Guid, (int Phase, bool Promoted, DateTimeOffset At, bool Settled)> _lastGate = new();

    public async Task<RolloutTickReport> TickAsync(CancellationToken cancellationToken)
    {
        List<Rollout> running;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<FleetDbContext>();
            running = await db.Rollouts.AsNoTracking().Where(r => r.State == RolloutState.Running).ToListAsync(cancellationToken);
        }

        var report = new RolloutTickReport(running.Count, 0, 0, 0, 0, 0);
        foreach (var rollout in running)
        {
            report = Add(report, await TickAsync(rollout, cancellationToken));
        }

        foreach (var gone in _lastGate.Keys.Except(running.Select(r => r.Id)).ToList())
        {
            _lastGate.TryRemove(gone, out _);
            _lastJoin.TryRemove(gone, out _);
        }

        return report;
    }

    private async Task<RolloutTickReport> TickAsync(Rollout rollout, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var (retried, timedOut) = await TimeOutAsync(rollout, now, cancellationToken);
        retried.AddRange(await StalePendingAsync(rollout, now, cancellationToken));
        await JoinAsync(rollout, now, cancellationToken);
        var enrolled = await EnrollAsync(rollout, now, cancellationToken);
        await OfferAsync(rollout, [.. retried, .. enrolled], cancellationToken);

        var settled = enrolled.Count == 0 && retried.Count == 0 && !await AnyActiveAsync(rollout.Id, cancellationToken);
        var soakEnds = (rollout.PhaseStartedAt ?? now) + rollout.Plan.Phases[rollout.PhaseIndex].MinimumSoak;
        var due = !_lastGate.TryGetValue(rollout.Id, out var last)
            || last.Phase != rollout.PhaseIndex || last.Promoted != rollout.Promoted
            || now - last.At >= options.Value.GateInterval
            || (settled && (!last.Settled || (last.At < soakEnds && now >= soakEnds)));
        if (!due)
        {
            return new RolloutTickReport(1, enrolled.Count, retried.Count, timedOut, 0, 0);
        }

        var result = RolloutGate.Evaluate(await GateInputAsync(rollout, now, cancellationToken));
        _lastGate[rollout.Id] = (rollout.PhaseIndex, rollout.Promoted, now, settled);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FleetDbContext>();
        db.GateEvaluations.Add(GateEvaluation.From(rollout.Id, rollout.PhaseIndex, rollout.Plan.Phases[rollout.PhaseIndex].Percent, now, result));
        await db.SaveChangesAsync(cancellationToken);

        RolloutAction? action = result.Verdict switch
        {
            GateVerdict.Breach => rollout.Plan.AutoRollback ? RolloutAction.Rollback : RolloutAction.Pause,
            GateVerdict.Pass when rollout.Plan.AutoAdvance => RolloutAction.Advance,
            _ => null,
        };
        if (action is not { } move || RolloutTransitions.Decide(rollout.Position, move) is RolloutDecision.Refused)
        {
            return new RolloutTickReport(1, enrolled.Count, retried.Count, timedOut, 1, 0);
        }

        var reason = $"gate {result.Verdict.ToString().ToLowerInvariant()} at phase {rollout.PhaseIndex} ({rollout.Plan.Phases[rollout.PhaseIndex].Percent}%): {string.Join("; ", result.Reasons)}";
        var outcome = await scope.ServiceProvider.GetRequiredService<RolloutCommands>().ApplyAsync(rollout.Id, move, OperatorIdentity.Controller, reason, cancellationToken);
        if (outcome is RolloutActionOutcome.Applied applied)
        {
            LogMoved(logger, rollout.Id, move, applied.Rollout.State, applied.Rollout.PhaseIndex, reason);
        }

        return new RolloutTickReport(1, enrolled.Count, retried.Count, timedOut, 1, outcome is RolloutActionOutcome.Applied ? 1 : 0);
    }

    /// <summary>Whether any device of the rollout is pending or in flight: an index probe that stops at the first one.</summary>
    private async Task<bool> AnyActiveAsync(Guid rolloutId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM rollout_devices WHERE rollout_id = $1 AND state = ANY($2))");
        command.Parameters.Add(new NpgsqlParameter { Value = rolloutId });
        command.Parameters.Add(new NpgsqlParameter { Value = Active });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>In-flight devices without progress for the plan's per-device timeout go back to pending, or fail after the retries.</summary>
    private async Task<(List<Guid> Retried, int Failed)> TimeOutAsync(Rollout rollout, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Each timed-out attempt is written to the device's history too, the one that fails the update included.
        await using var command = dataSource.CreateCommand("""
            WITH moved AS (
                UPDATE rollout_devices SET
                    attempts = attempts + 1,
                    state = CASE WHEN attempts + 1 > $2 THEN 'failed' ELSE 'pending' END,
                    reason = 'no progress while ' || state || ' within ' || $3,
                    failure_reason = CASE WHEN attempts + 1 > $2 THEN 'no progress while ' || state || ' within ' || $3 ELSE failure_reason END,
                    state_changed_at = $4
                WHERE rollout_id = $1 AND state = ANY($5) AND state_changed_at < $6
                RETURNING state, device_id, reason
            ), logged AS (
                INSERT INTO device_events (device_id, at, kind, to_state, detail)
                SELECT m.device_id, $4, 'update', m.state, left(f.version || ': ' || m.reason, 256)
                FROM moved m JOIN rollouts r ON r.id = $1 JOIN firmware_releases f ON f.id = r.release_id
            )
            SELECT state, device_id FROM moved
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = rollout.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = rollout.Plan.Retries });
        command.Parameters.Add(new NpgsqlParameter { Value = rollout.Plan.PerDeviceTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture) });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = InFlight });
        command.Parameters.Add(new NpgsqlParameter { Value = now - rollout.Plan.PerDeviceTimeout });
        var (retried, failed) = (new List<Guid>(), 0);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetString(0) == "failed")
            {
                failed++;
            }
            else
            {
                retried.Add(reader.GetGuid(1));
            }
        }

        return (retried, failed);
    }

    /// <summary>
    /// Pending devices the per-device timeout has passed over were enrolled but never took their offer: the leader died
    /// between enrolling and offering, or the routed offer went to a replica that had just died. They are offered again
    /// (one not connected gets it on reconnect anyway); no attempt is counted, as the device never started.
    /// </summary>
    private async Task<List<Guid>> StalePendingAsync(Rollout rollout, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE rollout_devices SET state_changed_at = $2
            WHERE rollout_id = $1 AND state = 'pending' AND state_changed_at < $3
            RETURNING device_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = rollout.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = now - rollout.Plan.PerDeviceTimeout });
        var stale = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            stale.Add(reader.GetGuid(0));
        }

        return stale;
    }

    /// <summary>Waiting devices whose bucket the current phase holds become pending, lowest buckets first, up to the concurrency limit.</summary>
    private async Task<List<Guid>> EnrollAsync(Rollout rollout, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var phase = PhaseLimits(rollout);
        await using var command = dataSource.CreateCommand($"""
            WITH capacity AS (
                SELECT greatest($2 - count(*), 0) AS free FROM rollout_devices WHERE rollout_id = $1 AND state = ANY($3)
            ), next AS (
                SELECT rd.device_id FROM rollout_devices rd
                WHERE rd.rollout_id = $1 AND rd.state = 'waiting' AND {InPhase}
                ORDER BY rd.bucket
                LIMIT (SELECT free FROM capacity)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE rollout_devices rd SET state = 'pending', enrolled_at = $9, state_changed_at = $9
            FROM next WHERE rd.rollout_id = $1 AND rd.device_id = next.device_id
            RETURNING rd.device_id
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = rollout.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = rollout.Plan.MaxConcurrentUpdates });
        command.Parameters.Add(new NpgsqlParameter { Value = Active });
        AddPhaseParameters(command, phase);
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        var enrolled = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            enrolled.Add(reader.GetGuid(0));
        }

        return enrolled;
    }

    /// <summary>Pushes offers for newly pending devices to their sockets; devices not connected get them on reconnect.</summary>
    private async Task OfferAsync(Rollout rollout, List<Guid> devices, CancellationToken cancellationToken)
    {
        if (devices.Count == 0)
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FleetDbContext>();
        var release = await db.FirmwareReleases.AsNoTracking().Where(r => r.Id == rollout.ReleaseId)
            .Select(r => new { r.Version, r.Sha256, r.Size }).SingleAsync(cancellationToken);
        var offer = DeviceChannelHub.Offer(rollout.Id, rollout.ReleaseId, release.Version, release.Sha256, release.Size);
        await channel.OfferAsync([.. devices.Select(device => (device, offer))], cancellationToken);
    }

    // A waiting device is in the current phase when it is pinned to the first phase (CohortStrata) or its bucket is
    // below its region's limit (override or default), and, for a green-first rollout not promoted yet, it is green.
    // Parameters $4..$8. CohortStrataTests models the same rule in C#.
    private const string InPhase = """
        ($4 = false OR rd.environment = 'green')
        AND (rd.pinned OR (rd.bucket < $8
            AND rd.bucket < coalesce((SELECT o.lim FROM unnest($5::text[], $6::int[]) AS o(region, lim) WHERE o.region = rd.region), $7)))
        """;

    private sealed record PhaseBounds(bool GreenOnly, string[] Regions, int[] Limits, int DefaultLimit)
    {
        public int MaxLimit => Limits.Append(DefaultLimit).Max();
    }

    private static PhaseBounds PhaseLimits(Rollout rollout) => new(
        rollout.GreenFirst && !rollout.Promoted,
        [.. rollout.Plan.SegmentOverrides.Select(o => o.Region)],
        [.. rollout.Plan.SegmentOverrides.Select(o => CohortBucket.Limit(o.Percents[rollout.PhaseIndex]))],
        CohortBucket.Limit(rollout.Plan.Phases[rollout.PhaseIndex].Percent));

    private static void AddPhaseParameters(NpgsqlCommand command, PhaseBounds phase)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = phase.GreenOnly });
        command.Parameters.Add(new NpgsqlParameter { Value = phase.Regions });
        command.Parameters.Add(new NpgsqlParameter { Value = phase.Limits });
        command.Parameters.Add(new NpgsqlParameter { Value = phase.DefaultLimit });
        command.Parameters.Add(new NpgsqlParameter { Value = phase.MaxLimit });
    }

    /// <summary>Devices of running and paused rollouts by update state: one grouped count on the (rollout, state) index.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountDevicesByStateAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT rd.state, count(*) FROM rollout_devices rd JOIN rollouts r ON r.id = rd.rollout_id
            WHERE r.state IN ('running', 'paused') GROUP BY rd.state
            """);
        var counts = Enum.GetValues<DeviceUpdateState>().ToDictionary(state => state.ToName(), _ => 0L);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    private static RolloutTickReport Add(RolloutTickReport sum, RolloutTickReport one) => new(
        sum.Rollouts, sum.Enrolled + one.Enrolled, sum.Retried + one.Retried, sum.TimedOut + one.TimedOut, sum.Evaluations + one.Evaluations, sum.Moves + one.Moves);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rollout {RolloutId}: {Action} → {State} at phase {Phase}: {Reason}")]
    private static partial void LogMoved(ILogger logger, Guid rolloutId, RolloutAction action, RolloutState state, int phase, string reason);
}
