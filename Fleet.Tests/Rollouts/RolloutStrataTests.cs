using System.Net;
using System.Net.Http.Json;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Tests.Rollouts;

/// <summary>The stratified canary and late joiners on the real database, through the API and controller ticks.</summary>
public sealed class RolloutStrataTests(RolloutControllerFixture fixture) : IClassFixture<RolloutControllerFixture>
{
    private static readonly RolloutPlan Canary = new([.. new double[] { 1, 10, 50, 100 }.Select(p => new RolloutPhase(p, TimeSpan.FromMinutes(5), 0.95, 0.05))], MaxConcurrentUpdates: 10_000);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Phase_one_takes_three_devices_of_every_revision_and_region_and_a_whole_stratum_with_fewer()
    {
        string[] regions = [NewRegion(), NewRegion(), NewRegion()];
        int[,] sizes = { { 60, 2, 9 }, { 5, 30, 1 }, { 4, 3, 40 } };
        string[] revisions = ["rev-a", "rev-b", "rev-c"];
        for (var r = 0; r < revisions.Length; r++)
        {
            for (var g = 0; g < regions.Length; g++)
            {
                await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, sizes[r, g], regions[g], Cancellation, hardwareRevision: revisions[r]);
            }
        }

        var rollout = await StartAsync(new RolloutTarget(Regions: regions), Canary);
        await fixture.Engine.TickAsync(Cancellation);

        var devices = await DevicesAsync(rollout.Id);
        devices.Count.ShouldBe(154);
        var limit = CohortBucket.Limit(1);
        var phaseOne = devices.Where(d => d.Pinned || d.Bucket < limit).Select(d => d.DeviceId).ToHashSet();
        devices.Where(d => d.State != "waiting").Select(d => d.DeviceId).ShouldBe(phaseOne, ignoreOrder: true, "the first tick enrolls exactly phase one");
        phaseOne.Count.ShouldBeGreaterThan(devices.Count(d => d.Bucket < limit), "1% alone would leave strata out");
        foreach (var stratum in devices.GroupBy(d => (d.HardwareRevision, d.Region)))
        {
            var size = stratum.Count();
            stratum.Count(d => d.Pinned).ShouldBe(Math.Min(3, size), $"{stratum.Key}");
            stratum.Count(d => phaseOne.Contains(d.DeviceId)).ShouldBeGreaterThanOrEqualTo(Math.Min(3, size), $"{stratum.Key}");
            var highestPinned = stratum.Where(d => d.Pinned).Max(d => d.Bucket);
            stratum.Where(d => !d.Pinned).ShouldAllBe(d => d.Bucket >= highestPinned, $"{stratum.Key}: the pins are the lowest buckets");
        }

        var detail = await GetAsync(rollout.Id);
        detail.Plan.MinPerStratum.ShouldBe(3);
        detail.Phases.ShouldNotBeNull()[0].Devices.Values.Sum().ShouldBe(phaseOne.Count);
        detail.Phases.Sum(p => p.Devices.Values.Sum()).ShouldBe(154);
    }

    [Fact]
    public async Task An_explicit_k_that_a_stratum_cannot_meet_is_a_400_naming_the_field_and_the_stratum()
    {
        var (big, small) = (NewRegion(), NewRegion());
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 20, big, Cancellation, hardwareRevision: "rev-a");
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 5, small, Cancellation, hardwareRevision: "rev-a");
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 2, small, Cancellation, hardwareRevision: "rev-c");
        var release = await fixture.Operator.PublishReleaseAsync(Cancellation);
        var target = new RolloutTarget(Regions: [big, small]);

        using var tooMany = await fixture.Operator.PostAsJsonAsync(RolloutHttp.RolloutsRoute, new CreateRolloutRequest(release.Id, target, Canary with { MinPerStratum = 3 }), Cancellation);
        using var negative = await fixture.Operator.PostAsJsonAsync(RolloutHttp.RolloutsRoute, new CreateRolloutRequest(release.Id, target, Canary with { MinPerStratum = -1 }), Cancellation);

        tooMany.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = (await tooMany.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation))!;
        problem.Errors.Keys.ShouldBe(["plan.minPerStratum"]);
        problem.Errors["plan.minPerStratum"].ShouldHaveSingleItem().ShouldContain($"rev-c × {small} has 2 compatible devices");
        negative.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await negative.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation))!.Errors.Keys.ShouldBe(["plan.minPerStratum"]);
        (await Sql.ScalarAsync<long>(fixture.DatabaseConnectionString, "SELECT count(*) FROM rollouts WHERE release_id = $1", Cancellation, release.Id)).ShouldBe(0);

        var two = await fixture.Operator.CreateRolloutAsync(new CreateRolloutRequest(release.Id, target, Canary with { MinPerStratum = 2 }), Cancellation);
        (await DevicesAsync(two.Id)).GroupBy(d => (d.HardwareRevision, d.Region)).ShouldAllBe(s => s.Count(d => d.Pinned) == 2);
    }

    [Fact]
    public async Task Devices_that_join_a_running_rollout_land_in_the_phase_their_bucket_says_and_are_marked_late()
    {
        var (region, elsewhere) = (NewRegion(), NewRegion());
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 30, region, Cancellation);
        var rollout = await StartAsync(new RolloutTarget(Regions: [region]), Canary);
        await fixture.Engine.TickAsync(Cancellation);
        var (phaseOne, phaseThree) = (CohortBucket.Limit(1), CohortBucket.Limit(10));
        var registered = DeviceWithBucket(rollout.Id, b => b < phaseOne);
        var later = DeviceWithBucket(rollout.Id, b => b >= phaseThree && b < CohortBucket.Limit(50));
        var moved = DeviceWithBucket(rollout.Id, b => b < phaseOne);

        // Registered after the start, and one that was elsewhere enters the target's region; so does one that another
        // running rollout holds, which stays out (one update at a time).
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 0, region, Cancellation, ids: [registered, later]);
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 0, elsewhere, Cancellation, ids: [moved]);
        var busy = (await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 1, elsewhere, Cancellation)).Single();
        await StartAsync(new RolloutTarget(DeviceIds: [busy]), Canary);
        await Sql.ExecuteAsync(fixture.DatabaseConnectionString, "UPDATE devices SET region = $2 WHERE id = ANY($1)", Cancellation, new[] { moved, busy }, region);
        fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        var joinedAt = fixture.Clock.GetUtcNow();
        await fixture.Engine.TickAsync(Cancellation);

        var devices = (await DevicesAsync(rollout.Id)).ToDictionary(d => d.DeviceId);
        devices.Count.ShouldBe(33);
        devices.ShouldNotContainKey(busy);
        devices[registered].State.ShouldBe("pending", "its bucket is in the running phase");
        devices[moved].State.ShouldBe("pending");
        devices[later].State.ShouldBe("waiting", "its bucket is in phase three");
        foreach (var joiner in new[] { registered, later, moved })
        {
            devices[joiner].JoinedAt.ShouldNotBeNull().ShouldBe(joinedAt, TimeSpan.FromMilliseconds(1));
            devices[joiner].Pinned.ShouldBeFalse();
            devices[joiner].Region.ShouldBe(region);
        }

        devices.Values.Count(d => d.JoinedAt is null).ShouldBe(30);
        var phases = (await GetAsync(rollout.Id)).Phases.ShouldNotBeNull();
        phases[2].Devices.Values.Sum().ShouldBe(devices.Values.Count(d => !d.Pinned && d.Bucket >= CohortBucket.Limit(10) && d.Bucket < CohortBucket.Limit(50)));
        phases[2].Devices.Values.Sum().ShouldBeGreaterThan(0);

        // A later look adds nobody twice.
        fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        await fixture.Engine.TickAsync(Cancellation);
        (await DevicesAsync(rollout.Id)).Count.ShouldBe(33);
    }

    private static Guid DeviceWithBucket(Guid rolloutId, Func<int, bool> wanted)
    {
        while (true)
        {
            var id = Guid.NewGuid();
            if (wanted(CohortBucket.Of(id, rolloutId)))
            {
                return id;
            }
        }
    }

    private static string NewRegion() => $"s-{Guid.NewGuid():N}"[..20];

    private async Task<RolloutResponse> StartAsync(RolloutTarget target, RolloutPlan plan)
    {
        var release = await fixture.Operator.PublishReleaseAsync(Cancellation);
        var rollout = await fixture.Operator.CreateRolloutAsync(new CreateRolloutRequest(release.Id, target, plan), Cancellation);
        using var started = await fixture.Operator.ActAsync(rollout.Id, "start", Cancellation, "test");
        started.StatusCode.ShouldBe(HttpStatusCode.OK);
        return rollout;
    }

    private async Task<RolloutResponse> GetAsync(Guid id) =>
        (await fixture.Operator.GetFromJsonAsync<RolloutResponse>(RolloutHttp.Rollout(id), Cancellation))!;

    private async Task<IReadOnlyList<RolloutDeviceResponse>> DevicesAsync(Guid id) =>
        (await fixture.Operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(id)}/devices?pageSize=500", Cancellation))!.Items;
}
