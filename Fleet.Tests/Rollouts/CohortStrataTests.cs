using Fleet.Api.Rollouts;
using Fleet.Contracts;

namespace Fleet.Tests.Rollouts;

/// <summary>
/// The stratified canary's invariants over many random fleets and plans (a seeded <see cref="Random"/> per case, so a
/// failure names the seed that reproduces it): raising a phase never drops a device, and phase one holds min(k, size)
/// devices of every hardware revision × region.
/// </summary>
public sealed class CohortStrataTests
{
    private const int Cases = 400;

    /// <summary>Whether phase <paramref name="phaseIndex"/> holds a device: the engine's SQL rule (RolloutEngine's InPhase), in C#.</summary>
    private static bool Holds(RolloutPlanSettings plan, int phaseIndex, string region, int bucket, bool pinned) =>
        pinned || CohortBucket.Holds(plan.PercentFor(phaseIndex, region), bucket);

    /// <summary>The first phase that holds a device (as RolloutPhaseCounts counts it).</summary>
    private static int PhaseOf(RolloutPlanSettings plan, string region, int bucket, bool pinned) =>
        pinned ? 0 : Enumerable.Range(0, plan.Phases.Count).First(i => CohortBucket.Holds(plan.PercentFor(i, region), bucket));

    [Fact]
    public void Raising_a_phase_never_drops_a_device_pinned_or_not()
    {
        for (var seed = 0; seed < Cases; seed++)
        {
            var random = new Random(seed);
            var (devices, rolloutId, plan, greenFirst) = RandomCase(random);
            var pinned = CohortStrata.Pinned(devices, rolloutId, plan.MinPerStratum, greenFirst);

            foreach (var device in devices)
            {
                var bucket = CohortBucket.Of(device.Id, rolloutId);
                var held = Enumerable.Range(0, plan.Phases.Count)
                    .Select(i => Holds(plan, i, device.Region, bucket, pinned.Contains(device.Id))).ToList();
                var first = held.IndexOf(true);
                first.ShouldBeGreaterThanOrEqualTo(0, $"seed {seed}: the last phase (100%) holds every device");
                held.Skip(first).ShouldAllBe(h => h, $"seed {seed}: device {device.Id} (bucket {bucket}) held at phase {first} is dropped later");
                PhaseOf(plan, device.Region, bucket, pinned.Contains(device.Id)).ShouldBe(first, $"seed {seed}");
            }
        }
    }

    [Fact]
    public void Phase_one_holds_min_of_k_and_the_stratum_size_of_every_stratum()
    {
        for (var seed = 0; seed < Cases; seed++)
        {
            var random = new Random(seed);
            var (devices, rolloutId, plan, greenFirst) = RandomCase(random);
            var pinned = CohortStrata.Pinned(devices, rolloutId, plan.MinPerStratum, greenFirst);

            foreach (var stratum in devices.GroupBy(CohortStrata.Of))
            {
                // Green-first: phase one holds green devices before promotion and blue ones after, k of each.
                foreach (var environment in greenFirst ? stratum.GroupBy(d => d.Environment) : [stratum.GroupBy(_ => "").Single()])
                {
                    var inPhaseOne = environment.Count(d => Holds(plan, 0, d.Region, CohortBucket.Of(d.Id, rolloutId), pinned.Contains(d.Id)));
                    inPhaseOne.ShouldBeGreaterThanOrEqualTo(Math.Min(plan.MinPerStratum, environment.Count()), $"seed {seed}: {stratum.Key} {environment.Key}");
                    environment.Count(d => pinned.Contains(d.Id)).ShouldBe(Math.Min(plan.MinPerStratum, environment.Count()), $"seed {seed}: pins of {stratum.Key} {environment.Key}");
                }
            }
        }
    }

    [Fact]
    public void Pins_are_each_strata_lowest_buckets_whatever_the_order_the_devices_come_in()
    {
        for (var seed = 0; seed < Cases; seed++)
        {
            var random = new Random(seed);
            var (devices, rolloutId, plan, _) = RandomCase(random);
            var pinned = CohortStrata.Pinned(devices, rolloutId, plan.MinPerStratum, greenFirst: false);

            CohortStrata.Pinned([.. devices.OrderBy(_ => random.Next())], rolloutId, plan.MinPerStratum, greenFirst: false).ShouldBe(pinned, ignoreOrder: true, $"seed {seed}");
            foreach (var stratum in devices.GroupBy(CohortStrata.Of))
            {
                var buckets = stratum.Select(d => (Bucket: CohortBucket.Of(d.Id, rolloutId), d.Id)).ToList();
                var highestPinned = buckets.Where(b => pinned.Contains(b.Id)).Select(b => b.Bucket).DefaultIfEmpty(-1).Max();
                buckets.Where(b => !pinned.Contains(b.Id)).ShouldAllBe(b => b.Bucket >= highestPinned, $"seed {seed}: {stratum.Key}");
            }
        }
    }

    [Fact]
    public void Zero_per_stratum_pins_nothing_and_leaves_the_percent_rule_alone()
    {
        var random = new Random(7);
        var (devices, rolloutId, _, _) = RandomCase(random);

        CohortStrata.Pinned(devices, rolloutId, 0, greenFirst: false).ShouldBeEmpty();
    }

    [Fact]
    public void The_smallest_stratum_is_named_by_revision_and_region()
    {
        TargetDevice Device(string revision, string region) => new(Guid.NewGuid(), "meter", revision, region, "blue", "1.0.0");
        TargetDevice[] devices = [Device("rev-a", "eu-west"), Device("rev-a", "eu-west"), Device("rev-a", "eu-west"), Device("rev-c", "ap-south"), Device("rev-c", "ap-south"), Device("rev-b", "eu-west"), Device("rev-b", "eu-west")];

        var smallest = CohortStrata.Smallest(devices).ShouldNotBeNull();

        (smallest.Stratum.ToString(), smallest.Devices).ShouldBe(("rev-b × eu-west", 2));
        CohortStrata.Smallest([]).ShouldBeNull();
    }

    [Fact]
    public void A_plan_defaults_to_three_per_stratum_and_refuses_a_negative_or_huge_one_by_field()
    {
        RolloutPlanSettings.From(null).MinPerStratum.ShouldBe(3);
        RolloutPlanSettings.From(new RolloutPlan(MinPerStratum: 0)).MinPerStratum.ShouldBe(0);
        RolloutPlanSettings.From(new RolloutPlan(MinPerStratum: 5)).ToContract().MinPerStratum.ShouldBe(5);

        RolloutPlanSettings.From(new RolloutPlan(MinPerStratum: -1)).Validate().Keys.ShouldBe(["plan.minPerStratum"]);
        RolloutPlanSettings.From(new RolloutPlan(MinPerStratum: CohortStrata.MaxPerStratum + 1)).Validate().Keys.ShouldBe(["plan.minPerStratum"]);
        RolloutPlanSettings.From(new RolloutPlan(MinPerStratum: CohortStrata.MaxPerStratum)).Validate().ShouldBeEmpty();
    }

    /// <summary>Up to 4 revisions × 4 regions with 0 to 20 devices each, blue and green; 1 to 5 rising phases ending at 100; maybe region overrides; k from 0 to 6.</summary>
    private static (List<TargetDevice> Devices, Guid RolloutId, RolloutPlanSettings Plan, bool GreenFirst) RandomCase(Random random)
    {
        string[] revisions = [.. Enumerable.Range(0, random.Next(1, 5)).Select(i => $"rev-{(char)('a' + i)}")];
        string[] regions = [.. Enumerable.Range(0, random.Next(1, 5)).Select(i => $"region-{i}")];
        var devices = new List<TargetDevice>();
        foreach (var revision in revisions)
        {
            foreach (var region in regions)
            {
                for (var n = random.Next(0, 21); n > 0; n--)
                {
                    devices.Add(new TargetDevice(NewGuid(random), "meter", revision, region, random.Next(2) == 0 ? "blue" : "green", "1.0.0"));
                }
            }
        }

        var phases = RisingPercents(random).Select(p => new RolloutPhase(p, TimeSpan.Zero, 0.9, 0.1)).ToList();
        var overrides = regions.Where(_ => random.Next(3) == 0)
            .Select(region => new SegmentOverride(region, RisingPercents(random, phases.Count))).ToList();
        var plan = RolloutPlanSettings.From(new RolloutPlan(phases, overrides, MinPerStratum: random.Next(0, 7)));
        plan.Validate().ShouldBeEmpty();
        return (devices, NewGuid(random), plan, random.Next(2) == 0);
    }

    /// <summary>Rising percentages at 0.01 resolution, the last 100; some tiny, as canaries are.</summary>
    private static List<double> RisingPercents(Random random, int? count = null)
    {
        var phases = count ?? random.Next(1, 6);
        var cuts = new SortedSet<int>();
        while (cuts.Count < phases - 1)
        {
            cuts.Add(random.Next(1, random.Next(2) == 0 ? 300 : CohortBucket.Count));
        }

        return [.. cuts.Select(c => c / 100.0), 100];
    }

    private static Guid NewGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }
}
