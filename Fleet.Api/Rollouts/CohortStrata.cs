namespace Fleet.Api.Rollouts;

/// <summary>One hardware revision in one region: the unit a stratified canary covers.</summary>
public sealed record Stratum(string HardwareRevision, string Region)
{
    public override string ToString() => $"{HardwareRevision} × {Region}";
}

/// <summary>
/// Stratified canary. Besides <see cref="CohortBucket"/>'s percent rule, the first phase holds the k devices of every
/// hardware revision × region of the target with the lowest buckets (ties by device id): they are "pinned", so a 1%
/// canary still meets every kind of device. A green-first rollout pins k green and k blue devices per stratum, as its
/// phases hold green devices before promotion and blue ones after. Pins are chosen once, from the devices written at
/// creation, and stored with each device; devices that join later are never pinned and land where their bucket says.
/// <para>
/// Why raising a phase still never drops a device: phase i holds a device when it is pinned OR its bucket is below its
/// region's limit for phase i. The pins never change during the rollout, and the limits only grow from one phase to
/// the next (percentages must rise, <see cref="RolloutPlanSettings.Validate"/>), so neither half of the OR ever lets go
/// of a device. Re-choosing pins later (say, when a device with a lower bucket joins) would break this, which is why
/// joiners are not pinned.
/// </para>
/// </summary>
public static class CohortStrata
{
    public const int DefaultPerStratum = 3;
    public const int MaxPerStratum = 1000;

    public static Stratum Of(TargetDevice device) => new(device.HardwareRevision, device.Region);

    /// <summary>The devices pinned to the first phase: per stratum (and environment, when green-first) the <paramref name="perStratum"/> lowest buckets.</summary>
    public static HashSet<Guid> Pinned(IEnumerable<TargetDevice> devices, Guid rolloutId, int perStratum, bool greenFirst)
    {
        if (perStratum <= 0)
        {
            return [];
        }

        return
        [
            .. devices
                .GroupBy(d => (Of(d), greenFirst ? d.Environment : ""))
                .SelectMany(stratum => stratum
                    .Select(d => (d.Id, Bucket: CohortBucket.Of(d.Id, rolloutId)))
                    .OrderBy(d => d.Bucket).ThenBy(d => d.Id)
                    .Take(perStratum)
                    .Select(d => d.Id)),
        ];
    }

    /// <summary>The stratum with the fewest devices (ties by name), or null for no devices.</summary>
    public static (Stratum Stratum, int Devices)? Smallest(IEnumerable<TargetDevice> devices) =>
        devices.GroupBy(Of)
            .Select(stratum => (stratum.Key, stratum.Count()))
            .OrderBy(s => s.Item2).ThenBy(s => s.Key.HardwareRevision, StringComparer.Ordinal).ThenBy(s => s.Key.Region, StringComparer.Ordinal)
            .Select(s => ((Stratum, int)?)s)
            .FirstOrDefault();
}
