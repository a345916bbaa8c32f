using Fleet.Api.Audit;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Fleet.Api.Rollouts;

/// <summary>What became of an action on a rollout.</summary>
public abstract record RolloutActionOutcome
{
    public sealed record Applied(Rollout Rollout) : RolloutActionOutcome;

    public sealed record NotFound : RolloutActionOutcome;

    public sealed record Refused(RolloutState Current, string Reason) : RolloutActionOutcome;

    /// <summary>Starting would put devices into a second active rollout.</summary>
    public sealed record DevicesBusy(int Devices) : RolloutActionOutcome;

    /// <summary>Starting a rollout no device can take: nothing would ever be offered.</summary>
    public sealed record NoCompatibleDevices(int Matching) : RolloutActionOutcome;
}

/// <summary>
/// Creates rollouts and moves them through <see cref="RolloutTransitions"/>. Each change, its side effects and its
/// audit entry commit in one transaction, with the rollout row locked (FOR UPDATE) so concurrent actions serialize.
/// </summary>
public sealed class RolloutCommands(FleetDbContext db, DeviceChannelHub channel, TimeProvider clock)
{
    // One lock for all starts: the busy-device check and the state change must not interleave between two starts (nor
    // with devices joining a running rollout, RolloutEngine.JoinAsync).
    internal const long StartLock = 0x466C_6565_7452_6F6C;

    /// <summary>Writes a draft rollout and its devices: <paramref name="resolution"/>'s compatible ones, each with its bucket and whether it is pinned.</summary>
    public async Task<Rollout> CreateAsync(
        CreateRolloutRequest request, Firmware.FirmwareRelease release, RolloutPlanSettings plan, TargetResolution resolution, string actor, CancellationToken cancellationToken)
    {
        var target = request.Target ?? new RolloutTarget();
        var now = clock.GetUtcNow();
        var rollout = new Rollout
        {
            Id = Guid.CreateVersion7(),
            Name = string.IsNullOrWhiteSpace(request.Name) ? null : request.Name.Trim(),
            ReleaseId = release.Id,
            Target = target,
            Plan = plan,
            State = RolloutState.Draft,
            GreenFirst = request.GreenFirst,
            Matching = resolution.Matching,
            Compatible = resolution.Compatible.Count,
            CreatedBy = actor,
            CreatedAt = now,
        };

        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async cancellation =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellation);
            db.Rollouts.Add(rollout);
            db.AuditEntries.Add(Audit(rollout.Id, "create", actor, $"release {release.Version}; {resolution.Compatible.Count} of {resolution.Matching} matching devices compatible", now));
            await db.SaveChangesAsync(cancellation);
            await CopyDevicesAsync(rollout.Id, resolution.Compatible, CohortStrata.Pinned(resolution.Compatible, rollout.Id, plan.MinPerStratum, rollout.GreenFirst), cancellation);
            await transaction.CommitAsync(cancellation);
        }, cancellationToken);
        return rollout;
    }

    /// <summary>Bulk-writes the rollout's devices with their buckets and pins (COPY, on the transaction's connection).</summary>
    private async Task CopyDevicesAsync(Guid rolloutId, IReadOnlyList<TargetDevice> devices, HashSet<Guid> pinned, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await using var writer = await connection.BeginBinaryImportAsync(
            "COPY rollout_devices (rollout_id, device_id, bucket, region, environment, state, attempts, rollback_requested, pinned) FROM STDIN (FORMAT BINARY)",
            cancellationToken);
        var waiting = DeviceUpdateState.Waiting.ToName();
        foreach (var device in devices)
        {
            await writer.StartRowAsync(cancellationToken);
            await writer.WriteAsync(rolloutId, NpgsqlDbType.Uuid, cancellationToken);
            await writer.WriteAsync(device.Id, NpgsqlDbType.Uuid, cancellationToken);
            await writer.WriteAsync(CohortBucket.Of(device.Id, rolloutId), NpgsqlDbType.Integer, cancellationToken);
            await writer.WriteAsync(device.Region, NpgsqlDbType.Varchar, cancellationToken);
            await writer.WriteAsync(device.Environment, NpgsqlDbType.Varchar, cancellationToken);
            await writer.WriteAsync(waiting, NpgsqlDbType.Varchar, cancellationToken);
            await writer.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken);
            await writer.WriteAsync(false, NpgsqlDbType.Boolean, cancellationToken);
            await writer.WriteAsync(pinned.Contains(device.Id), NpgsqlDbType.Boolean, cancellationToken);
        }

        await writer.CompleteAsync(cancellationToken);
    }

    public async Task<RolloutActionOutcome> ApplyAsync(Guid id, RolloutAction action, string actor, string? reason, CancellationToken cancellationToken)
    {
        var outcome = await DecideAndStoreAsync(id, action, actor, reason, cancellationToken);
        if (outcome is RolloutActionOutcome.Applied { Rollout.State: RolloutState.RolledBack } rolledBack)
        {
            var devices = await db.RolloutDevices.AsNoTracking()
                .Where(d => d.RolloutId == id && d.RollbackRequested)
                .Select(d => d.DeviceId)
                .ToListAsync(cancellationToken);
            await channel.RequestRollbackAsync(id, rolledBack.Rollout.ReleaseId, devices, cancellationToken);
        }

        return outcome;
    }

    private async Task<RolloutActionOutcome> DecideAndStoreAsync(Guid id, RolloutAction action, string actor, string? reason, CancellationToken cancellationToken)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async Task<RolloutActionOutcome> (CancellationToken cancellation) =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellation);
            if (action == RolloutAction.Start)
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({StartLock})", cancellation);
            }

            await db.Database.ExecuteSqlAsync($"SELECT id FROM rollouts WHERE id = {id} FOR UPDATE", cancellation);
            var rollout = await db.Rollouts.SingleOrDefaultAsync(r => r.Id == id, cancellation);
            if (rollout is null)
            {
                return new RolloutActionOutcome.NotFound();
            }

            if (RolloutTransitions.Decide(rollout.Position, action) is RolloutDecision.Refused refused)
            {
                return new RolloutActionOutcome.Refused(rollout.State, refused.Reason);
            }

            if (action == RolloutAction.Start && rollout.Compatible == 0)
            {
                return new RolloutActionOutcome.NoCompatibleDevices(rollout.Matching);
            }

            if (action == RolloutAction.Start && await BusyDevicesAsync(id, cancellation) is > 0 and var busy)
            {
                return new RolloutActionOutcome.DevicesBusy(busy);
            }

            var to = ((RolloutDecision.Moved)RolloutTransitions.Decide(rollout.Position, action)).To;
            var now = clock.GetUtcNow();
            if (rollout.State == RolloutState.Draft && to.State == RolloutState.Running)
            {
                rollout.StartedAt = now;
            }

            if (rollout.StartedAt is not null && (to.PhaseIndex != rollout.PhaseIndex || to.Promoted != rollout.Promoted || rollout.PhaseStartedAt is null))
            {
                rollout.PhaseStartedAt = now;
            }

            if (to.State is RolloutState.Completed or RolloutState.Aborted or RolloutState.RolledBack)
            {
                rollout.FinishedAt = now;
            }

            if (to.State == RolloutState.RolledBack)
            {
                await MarkForRollbackAsync(id, cancellation);
            }

            (rollout.State, rollout.PhaseIndex, rollout.Promoted) = (to.State, to.PhaseIndex, to.Promoted);
            db.AuditEntries.Add(Audit(id, action.ToName(), actor, reason, now));
            await db.SaveChangesAsync(cancellation);
            await transaction.CommitAsync(cancellation);
            return new RolloutActionOutcome.Applied(rollout);
        }, cancellationToken);
    }

    /// <summary>Devices of this rollout that are also in another running or paused rollout.</summary>
    private Task<int> BusyDevicesAsync(Guid id, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<int>($"""
            SELECT count(DISTINCT mine.device_id)::int AS "Value"
            FROM rollout_devices mine
            JOIN rollout_devices other ON other.device_id = mine.device_id AND other.rollout_id <> mine.rollout_id
            JOIN rollouts r ON r.id = other.rollout_id
            WHERE mine.rollout_id = {id} AND r.state IN ('running', 'paused')
            """).SingleAsync(cancellationToken);

    /// <summary>Every device that took (or was taking) the release should go back to its previous slot.</summary>
    private Task<int> MarkForRollbackAsync(Guid id, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync(
            $"UPDATE rollout_devices SET rollback_requested = true WHERE rollout_id = {id} AND state NOT IN ('waiting', 'pending', 'rolled-back')",
            cancellationToken);

    private static AuditEntry Audit(Guid rolloutId, string action, string actor, string? reason, DateTimeOffset at) => new()
    {
        At = at,
        Actor = actor,
        Action = action,
        TargetType = "rollout",
        TargetId = rolloutId,
        Reason = reason is { Length: > AuditEntry.ReasonLength } ? reason[..AuditEntry.ReasonLength] : reason,
    };
}
