using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Api.Rollouts;

/// <summary>
/// A rollout's devices counted phase by phase. Phase i holds the buckets its percentage adds to the phase before,
/// [Limit(p[i-1]), Limit(p[i])) by <see cref="CohortBucket"/>'s rule, a region with a segment override by its own
/// percentages; so a device's phase is the number of its region's phase limits at or below its bucket (a device pinned
/// by <see cref="CohortStrata"/> is in the first phase), and one grouped query counts every phase.
/// </summary>
public static class RolloutPhaseCounts
{
    /// <summary>Each phase's bucket ranges, with no devices counted.</summary>
    public static IReadOnlyList<RolloutPhaseDevices> Ranges(RolloutPlanSettings plan) =>
        [.. plan.Phases.Select((phase, i) => new RolloutPhaseDevices(
            i,
            phase.Percent,
            i == 0 ? 0 : CohortBucket.Limit(plan.Phases[i - 1].Percent),
            CohortBucket.Limit(phase.Percent),
            [.. plan.SegmentOverrides.Select(o => new SegmentBuckets(
                o.Region, o.Percents[i], i == 0 ? 0 : CohortBucket.Limit(o.Percents[i - 1]), CohortBucket.Limit(o.Percents[i])))],
            new Dictionary<string, int>()))];

    public static async Task<IReadOnlyList<RolloutPhaseDevices>> CountAsync(FleetDbContext db, Rollout rollout, CancellationToken cancellationToken)
    {
        var plan = rollout.Plan;
        string[] regions = [.. plan.SegmentOverrides.Select(o => o.Region)];
        string[] overrideRegions = [.. plan.SegmentOverrides.SelectMany(o => o.Percents.Select(_ => o.Region))];
        int[] overrideLimits = [.. plan.SegmentOverrides.SelectMany(o => o.Percents.Select(CohortBucket.Limit))];
        int[] limits = [.. plan.Phases.Select(p => CohortBucket.Limit(p.Percent))];
        var rows = await db.Database.SqlQuery<PhaseStateCount>($"""
            SELECT
                CASE WHEN rd.pinned THEN 0
                    WHEN rd.region = ANY({regions})
                    THEN (SELECT count(*) FROM unnest({overrideRegions}, {overrideLimits}) AS o(region, lim) WHERE o.region = rd.region AND o.lim <= rd.bucket)
                    ELSE (SELECT count(*) FROM unnest({limits}) AS l(lim) WHERE l.lim <= rd.bucket)
                END::int AS "Phase",
                rd.state AS "State",
                count(*)::int AS "Count"
            FROM rollout_devices rd
            WHERE rd.rollout_id = {rollout.Id}
            GROUP BY 1, 2
            """).ToListAsync(cancellationToken);
        var byPhase = rows.ToLookup(row => row.Phase);
        return [.. Ranges(plan).Select(phase => phase with { Devices = byPhase[phase.Index].ToDictionary(row => row.State, row => row.Count) })];
    }

    /// <summary>One row of the grouped count.</summary>
    public sealed class PhaseStateCount
    {
        public int Phase { get; init; }

        public string State { get; init; } = "";

        public int Count { get; init; }
    }
}
