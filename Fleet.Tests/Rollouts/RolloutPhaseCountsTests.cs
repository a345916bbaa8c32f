using System.Net.Http.Json;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Fleet.Tests.Firmware;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Rollouts;

public sealed class RolloutPhaseCountsTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly ApiFactory _api = fixture.Api;
    private readonly HttpClient _operator = fixture.Api.CreateClient().AsOperator();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static string NewRegion() => $"p-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task The_detail_counts_each_phases_devices_by_state_within_its_bucket_range_and_a_segments_own()
    {
        var (plain, slow) = (NewRegion(), NewRegion());
        await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, 120, plain, Cancellation);
        await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, 80, slow, Cancellation);
        var release = await _operator.PublishReleaseAsync(Cancellation);
        var plan = new RolloutPlan(
            [new RolloutPhase(10, TimeSpan.Zero, 0.9, 0.1), new RolloutPhase(50, TimeSpan.Zero, 0.9, 0.1), new RolloutPhase(100, TimeSpan.Zero, 0.9, 0.1)],
            [new SegmentOverride(slow, [2.5, 30, 100])]);
        var rollout = await _operator.CreateRolloutAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Regions: [plain, slow]), plan), Cancellation);
        // States by bucket across phase limits, so each phase holds a mix; the rollout stays a draft so no controller moves them.
        await Sql.ExecuteAsync(_api.DatabaseConnectionString, """
            UPDATE rollout_devices SET state = CASE
                WHEN bucket < 2000 THEN 'healthy' WHEN bucket < 4000 THEN 'downloading' WHEN bucket < 4500 THEN 'failed' ELSE state END
            WHERE rollout_id = $1
            """, Cancellation, rollout.Id);

        var detail = (await _operator.GetFromJsonAsync<RolloutResponse>(RolloutHttp.Rollout(rollout.Id), Cancellation))!;

        var phases = detail.Phases.ShouldNotBeNull();
        phases.Select(p => (p.Index, p.Percent, p.FromBucket, p.ToBucket)).ShouldBe([(0, 10.0, 0, 1000), (1, 50.0, 1000, 5000), (2, 100.0, 5000, 10_000)]);
        phases.Select(p => p.Segments.ShouldHaveSingleItem()).Select(s => (s.Region, s.Percent, s.FromBucket, s.ToBucket))
            .ShouldBe([(slow, 2.5, 0, 250), (slow, 30.0, 250, 3000), (slow, 100.0, 3000, 10_000)]);
        var devices = (await _operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(rollout.Id)}/devices?pageSize=500", Cancellation))!.Items;
        devices.Count.ShouldBe(200);
        foreach (var phase in phases)
        {
            var expected = devices
                .Where(d => PhaseOf(d, d.Region == slow ? [250, 3000, 10_000] : [1000, 5000, 10_000]) == phase.Index)
                .GroupBy(d => d.State).ToDictionary(g => g.Key, g => g.Count());
            phase.Devices.ShouldBe(expected, ignoreOrder: true, $"phase {phase.Index}");
        }

        phases.Sum(p => p.Devices.Values.Sum()).ShouldBe(200);
        phases.SelectMany(p => p.Devices).GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.Sum(c => c.Value)).ShouldBe(detail.Devices, ignoreOrder: true);
        phases.Count(p => p.Devices.Count > 1).ShouldBeGreaterThan(1, "the states straddle phases");
    }

    [Fact]
    public async Task Lists_leave_phases_out_and_actions_answer_with_them()
    {
        var region = NewRegion();
        await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, 10, region, Cancellation);
        var release = await _operator.PublishReleaseAsync(Cancellation);
        var rollout = await _operator.CreateRolloutAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Regions: [region])), Cancellation);

        rollout.Phases.ShouldNotBeNull().Sum(p => p.Devices.GetValueOrDefault("waiting")).ShouldBe(10);
        var list = (await _operator.GetFromJsonAsync<PagedList<RolloutResponse>>($"{RolloutHttp.RolloutsRoute}?pageSize=500", Cancellation))!;
        list.Items.Single(r => r.Id == rollout.Id).Phases.ShouldBeNull();
        using var abort = await _operator.ActAsync(rollout.Id, "abort", Cancellation);
        (await abort.Content.ReadFromJsonAsync<RolloutResponse>(Cancellation))!.Phases.ShouldNotBeNull().Count.ShouldBe(4);
    }

    [Fact]
    public void Ranges_follow_the_cohort_rule_so_the_phases_tile_every_bucket_once()
    {
        var plan = RolloutPlanSettings.From(new RolloutPlan(
            [new RolloutPhase(0.01, TimeSpan.Zero, 1, 0), new RolloutPhase(33.333, TimeSpan.Zero, 1, 0), new RolloutPhase(100, TimeSpan.Zero, 1, 0)],
            [new SegmentOverride("eu", [1, 2, 100])]));

        var ranges = RolloutPhaseCounts.Ranges(plan);

        ranges.Select(r => (r.FromBucket, r.ToBucket)).ShouldBe([(0, 1), (1, 3333), (3333, 10_000)]);
        ranges.Select(r => (r.Segments[0].FromBucket, r.Segments[0].ToBucket)).ShouldBe([(0, 100), (100, 200), (200, 10_000)]);
        for (var bucket = 0; bucket < CohortBucket.Count; bucket++)
        {
            ranges.Count(r => r.FromBucket <= bucket && bucket < r.ToBucket).ShouldBe(1);
            ranges.Single(r => r.FromBucket <= bucket && bucket < r.ToBucket).Index
                .ShouldBe(plan.Phases.Select((p, i) => (p, i)).First(x => CohortBucket.Holds(x.p.Percent, bucket)).i, "the first phase holding the bucket");
        }
    }

    private static int PhaseOf(RolloutDeviceResponse device, int[] limits) => device.Pinned ? 0 : Array.FindIndex(limits, limit => device.Bucket < limit);

    public void Dispose() => _operator.Dispose();
}
