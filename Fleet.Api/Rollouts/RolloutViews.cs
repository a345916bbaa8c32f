using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Api.Rollouts;

/// <summary>Builds the rollout API's responses.</summary>
public static class RolloutViews
{
    public static async Task<List<RolloutResponse>> ToResponsesAsync(FleetDbContext db, IReadOnlyList<Rollout> rollouts, CancellationToken cancellationToken)
    {
        var ids = rollouts.Select(r => r.Id).ToList();
        var releaseIds = rollouts.Select(r => r.ReleaseId).Distinct().ToList();
        var versions = await db.FirmwareReleases.AsNoTracking().Where(r => releaseIds.Contains(r.Id))
            .ToDictionaryAsync(r => r.Id, r => r.Version, cancellationToken);
        var counts = (await db.RolloutDevices.AsNoTracking().Where(d => ids.Contains(d.RolloutId))
                .GroupBy(d => new { d.RolloutId, d.State })
                .Select(g => new { g.Key.RolloutId, g.Key.State, Count = g.Count() })
                .ToListAsync(cancellationToken))
            .ToLookup(c => c.RolloutId);

        return [.. rollouts.Select(rollout => new RolloutResponse(
            rollout.Id,
            rollout.Name,
            rollout.ReleaseId,
            versions.GetValueOrDefault(rollout.ReleaseId, "?"),
            rollout.Target,
            rollout.Plan.ToContract(),
            rollout.State.ToName(),
            rollout.PhaseIndex,
            rollout.Plan.Phases[rollout.PhaseIndex].Percent,
            rollout.GreenFirst,
            rollout.Promoted,
            rollout.Matching,
            rollout.Compatible,
            rollout.Matching - rollout.Compatible,
            counts[rollout.Id].ToDictionary(c => c.State.ToName(), c => c.Count),
            rollout.CreatedAt,
            rollout.StartedAt,
            rollout.PhaseStartedAt,
            rollout.FinishedAt,
            rollout.CreatedBy))];
    }

    /// <summary>One rollout, with its devices counted phase by phase and its failures by hardware revision and region.</summary>
    public static async Task<RolloutResponse> ToResponseAsync(FleetDbContext db, Rollout rollout, CancellationToken cancellationToken) =>
        (await ToResponsesAsync(db, [rollout], cancellationToken))[0] with
        {
            Phases = await RolloutPhaseCounts.CountAsync(db, rollout, cancellationToken),
            Failures = await CountFailuresAsync(db, rollout.Id, cancellationToken),
        };

    private static async Task<RolloutFailures> CountFailuresAsync(FleetDbContext db, Guid rolloutId, CancellationToken cancellationToken)
    {
        var groups = await db.RolloutDevices.AsNoTracking().Where(d => d.RolloutId == rolloutId && d.FailureReason != null)
            .Join(db.Devices, update => update.DeviceId, device => device.Id, (update, device) => new { update.Region, device.HardwareRevision })
            .GroupBy(d => new { d.Region, d.HardwareRevision })
            .Select(g => new { g.Key.Region, g.Key.HardwareRevision, Count = g.Count() })
            .ToListAsync(cancellationToken);
        return new RolloutFailures(
            groups.Sum(g => g.Count),
            groups.GroupBy(g => g.HardwareRevision).ToDictionary(g => g.Key, g => g.Sum(x => x.Count)),
            groups.GroupBy(g => g.Region).ToDictionary(g => g.Key, g => g.Sum(x => x.Count)));
    }

    public static GateEvaluationResponse ToResponse(GateEvaluation gate) => new(
        gate.Id, gate.PhaseIndex, gate.PhasePercent, gate.EvaluatedAt, gate.Verdict.ToString().ToLowerInvariant(), gate.Reasons,
        gate.SoakElapsed, gate.MinimumSoak, gate.Cohort, gate.Healthy, gate.Failed, gate.InFlight,
        gate.SuccessRatio, gate.SuccessThreshold, gate.FailureRatio, gate.MaxFailureRatio,
        gate.UpdatedDevices, gate.UpdatedOffline, gate.NotUpdatedDevices, gate.NotUpdatedOffline,
        gate.Test, gate.Statistic, gate.PValue, gate.Alpha, gate.Health,
        gate.Finished, gate.RequiredFinished, gate.Withheld?.ToString().ToLowerInvariant());

    public static RolloutDeviceResponse ToResponse(RolloutDevice update, string? hardwareRevision = null, string? deviceName = null) => new(
        update.DeviceId, update.State.ToName(), update.Bucket, update.Region, update.Environment, update.Attempts,
        update.Reason, update.RollbackRequested, update.EnrolledAt, update.StateChangedAt, update.FailureReason, hardwareRevision, deviceName,
        update.Pinned, update.JoinedAt);
}
