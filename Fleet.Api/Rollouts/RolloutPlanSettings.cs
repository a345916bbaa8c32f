using Fleet.Api.Devices;
using Fleet.Contracts;

namespace Fleet.Api.Rollouts;

/// <summary>
/// A rollout's plan with every default filled in; stored as jsonb with the rollout. A segment override gives a
/// region its own percentage per phase (e.g. 0.5 → 5 → 25 → 100 for a region that should go slower); soak and
/// thresholds stay the phase's. <see cref="MinPerStratum"/>: the first phase holds at least that many devices of each
/// hardware revision × region of the target (see <see cref="CohortStrata"/>); 0 in plans stored before it existed.
/// <para>
/// <c>MinimumExecuted</c> is one number for the whole plan, not one per phase: a gate counts every device the
/// rollout has finished so far (its earlier phases' too), so only the first small phases can fall short of it, and
/// a phase holding fewer devices than the minimum is held to all of its devices finishing instead (an unreachable
/// minimum would stall the rollout). One field is also one thing for the operator to get right. Plans stored before
/// the field existed read as 0: no minimum, as gates were then.
/// </para>
/// </summary>
public sealed record RolloutPlanSettings(
    IReadOnlyList<RolloutPhase> Phases,
    IReadOnlyList<SegmentOverride> SegmentOverrides,
    bool AutoAdvance,
    bool AutoRollback,
    int MaxConcurrentUpdates,
    TimeSpan PerDeviceTimeout,
    int Retries,
    int MinPerStratum,
    int MinimumExecuted = 0)
{
    public const int MaxPhases = 20;
    public const int MaxOverrides = 64;
    public const int MaxMinimumExecuted = 100_000;

    /// <summary>A gate decides on no fewer than one finished device unless the plan says otherwise.</summary>
    public const int DefaultMinimumExecuted = 1;

    public static IReadOnlyList<RolloutPhase> DefaultPhases { get; } =
    [
        new(1, TimeSpan.FromMinutes(10), 0.95, 0.05),
        new(10, TimeSpan.FromMinutes(10), 0.95, 0.05),
        new(50, TimeSpan.FromMinutes(10), 0.95, 0.05),
        new(100, TimeSpan.FromMinutes(10), 0.95, 0.05),
    ];

    public static RolloutPlanSettings From(RolloutPlan? plan) => new(
        plan?.Phases ?? DefaultPhases,
        plan?.SegmentOverrides ?? [],
        plan?.AutoAdvance ?? true,
        plan?.AutoRollback ?? false,
        plan?.MaxConcurrentUpdates ?? 500,
        plan?.PerDeviceTimeout ?? TimeSpan.FromMinutes(15),
        plan?.Retries ?? 2,
        plan?.MinPerStratum ?? CohortStrata.DefaultPerStratum,
        plan?.MinimumExecuted ?? DefaultMinimumExecuted);

    public RolloutPlan ToContract() => new(Phases, SegmentOverrides, AutoAdvance, AutoRollback, MaxConcurrentUpdates, PerDeviceTimeout, Retries, MinPerStratum, MinimumExecuted);

    /// <summary>The percentage of <paramref name="region"/> that phase <paramref name="phaseIndex"/> holds.</summary>
    public double PercentFor(int phaseIndex, string region) =>
        SegmentOverrides.FirstOrDefault(o => o.Region == region) is { } segment ? segment.Percents[phaseIndex] : Phases[phaseIndex].Percent;

    /// <summary>Each problem keyed by its JSON path under <paramref name="prefix"/> (<c>plan.phases[1].percent</c>).</summary>
    public Dictionary<string, string[]> Validate(string prefix = "plan")
    {
        var errors = new Dictionary<string, string[]>();
        if (Phases.Count is 0 or > MaxPhases)
        {
            errors[$"{prefix}.phases"] = [$"must hold 1 to {MaxPhases} phases."];
        }
        else
        {
            ValidatePercents(Phases.Select(p => p.Percent).ToList(), $"{prefix}.phases", i => $"[{i}].percent", errors);
            for (var i = 0; i < Phases.Count; i++)
            {
                var phase = Phases[i];
                var at = $"{prefix}.phases[{i}]";
                if (phase.MinimumSoak < TimeSpan.Zero || phase.MinimumSoak > TimeSpan.FromDays(30))
                {
                    errors[$"{at}.minimumSoak"] = ["must be from 00:00:00 to 30 days."];
                }

                if (!IsRatio(phase.SuccessThreshold))
                {
                    errors[$"{at}.successThreshold"] = ["must be a ratio from 0 to 1."];
                }

                if (!IsRatio(phase.MaxFailureRatio))
                {
                    errors[$"{at}.maxFailureRatio"] = ["must be a ratio from 0 to 1."];
                }
            }
        }

        if (SegmentOverrides.Count > MaxOverrides)
        {
            errors[$"{prefix}.segmentOverrides"] = [$"at most {MaxOverrides} overrides."];
        }
        else
        {
            for (var i = 0; i < SegmentOverrides.Count; i++)
            {
                var segment = SegmentOverrides[i];
                var at = $"{prefix}.segmentOverrides[{i}]";
                if (string.IsNullOrWhiteSpace(segment.Region))
                {
                    errors[$"{at}.region"] = ["is required."];
                }
                else if (segment.Region.Length > DeviceLimits.Attribute)
                {
                    errors[$"{at}.region"] = [$"must be at most {DeviceLimits.Attribute} characters, as a device's region is."];
                }
                else if (SegmentOverrides.Take(i).Any(o => o.Region == segment.Region))
                {
                    errors[$"{at}.region"] = [$"'{segment.Region}' has an override already."];
                }

                if (segment.Percents is null || segment.Percents.Count != Phases.Count)
                {
                    errors[$"{at}.percents"] = [$"must give one percentage per phase ({Phases.Count})."];
                }
                else
                {
                    ValidatePercents(segment.Percents, $"{at}.percents", index => $"[{index}]", errors);
                }
            }
        }

        if (MaxConcurrentUpdates is < 1 or > 100_000)
        {
            errors[$"{prefix}.maxConcurrentUpdates"] = ["must be from 1 to 100000."];
        }

        if (PerDeviceTimeout < TimeSpan.FromSeconds(1) || PerDeviceTimeout > TimeSpan.FromDays(7))
        {
            errors[$"{prefix}.perDeviceTimeout"] = ["must be from 00:00:01 to 7 days."];
        }

        if (Retries is < 0 or > 10)
        {
            errors[$"{prefix}.retries"] = ["must be from 0 to 10."];
        }

        if (MinPerStratum is < 0 or > CohortStrata.MaxPerStratum)
        {
            errors[$"{prefix}.minPerStratum"] = [$"must be from 0 (off) to {CohortStrata.MaxPerStratum}."];
        }

        if (MinimumExecuted is < 0 or > MaxMinimumExecuted)
        {
            errors[$"{prefix}.minimumExecuted"] = [$"must be from 0 to {MaxMinimumExecuted} finished devices."];
        }

        return errors;
    }

    private static void ValidatePercents(IReadOnlyList<double> percents, string at, Func<int, string> item, Dictionary<string, string[]> errors)
    {
        for (var i = 0; i < percents.Count; i++)
        {
            if (!(percents[i] >= 0.01 && percents[i] <= 100))
            {
                errors[at + item(i)] = ["must be from 0.01 to 100."];
            }
            else if (i > 0 && percents[i] <= percents[i - 1])
            {
                errors[at + item(i)] = ["must be larger than the phase before: phases only grow, so no device is ever dropped."];
            }
        }

        if (percents.Count > 0 && percents[^1] != 100)
        {
            errors[at + item(percents.Count - 1)] = ["the last phase must be 100."];
        }
    }

    private static bool IsRatio(double value) => value is >= 0 and <= 1;
}
