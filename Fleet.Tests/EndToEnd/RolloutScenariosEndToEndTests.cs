using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using static Fleet.Tests.EndToEnd.FleetOperator;

namespace Fleet.Tests.EndToEnd;

/// <summary>The AppHost and 200 simulated devices, shared by the tests of <see cref="RolloutScenariosEndToEndTests"/>.</summary>
public sealed class ScenarioFleet() : RunningFleet("rollout-scenarios-e2e", 200)
{
    /// <summary>Readings every 2 s and a 3 s health grace, so errors after an update reach the gate within a short soak.</summary>
    protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>(base.Environment)
    {
        ["Fleet__Simulator__TelemetrySeconds"] = "2",
        ["Fleet__Rollouts__HealthGrace"] = "00:00:03",
    };
}

/// <summary>
/// Blue/green and segment-only rollouts over the whole app: each test starts from whatever firmware the devices run
/// (the other test may have gone first) and checks which devices moved and which did not.
/// </summary>
[Collection(WholeAppTests.Name)]
public sealed class RolloutScenariosEndToEndTests(ScenarioFleet fleet) : IClassFixture<ScenarioFleet>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_green_first_rollout_updates_only_green_devices_and_holds_until_promote_releases_it_to_blue()
    {
        var api = fleet.Api;
        var before = (await DevicesAsync(api)).ToDictionary(d => d.Id);
        var green = before.Values.Where(d => d.Environment == "green").Select(d => d.Id).ToHashSet();
        green.Count.ShouldBe(fleet.Devices / 10, "the simulator registers every tenth device as green");
        var release = await PublishAsync(api, "3.0.0", await fleet.TypesAsync());
        var rollout = await CreateAsync(api, new CreateRolloutRequest(release.Id, Plan: Plan([50, 100], maxConcurrentUpdates: fleet.Devices), GreenFirst: true));
        rollout.Compatible.ShouldBe(fleet.Devices);
        await ActAsync(api, rollout.Id, "start");

        // Green devices go through both phases; the last phase's gate passes but cannot complete the rollout.
        await Eventually.TrueAsync(async () =>
        {
            var gates = (await api.GetFromJsonAsync<PagedList<GateEvaluationResponse>>($"{RolloutHttp.Rollout(rollout.Id)}/gates?pageSize=500", Cancellation))!;
            return gates.Items.Any(g => g.PhaseIndex == 1 && g.Verdict == "pass")
                && (await GetAsync(api, rollout.Id)).Devices.GetValueOrDefault("healthy") == green.Count;
        }, TimeSpan.FromMinutes(3), "every green device healthy and the gate passed at the last phase", Cancellation);
        var holding = await GetAsync(api, rollout.Id);
        holding.State.ShouldBe("running");
        holding.PhaseIndex.ShouldBe(1);
        holding.Promoted.ShouldBeFalse();
        holding.Devices.GetValueOrDefault("healthy").ShouldBe(green.Count);
        var phases = holding.Phases.ShouldNotBeNull();
        phases.Sum(p => p.Devices.GetValueOrDefault("healthy")).ShouldBe(green.Count, "per phase, green devices healthy");
        phases.Sum(p => p.Devices.GetValueOrDefault("waiting")).ShouldBe(fleet.Devices - green.Count, "per phase, blue devices waiting");
        var states = await RolloutDevicesAsync(api, rollout.Id);
        states.Where(d => d.Environment == "green").ShouldAllBe(d => d.State == "healthy");
        states.Where(d => d.Environment == "blue").ShouldAllBe(d => d.State == "waiting");
        await Eventually.TrueAsync(async () => (await DevicesAsync(api)).Where(d => green.Contains(d.Id)).All(d => d.Firmware == "3.0.0"),
            TimeSpan.FromMinutes(1), "every green device reporting 3.0.0", Cancellation);
        (await MovedAsync(api, before, d => !green.Contains(d.Id))).ShouldBeEmpty("blue devices keep their firmware while it holds");

        var promoted = await ActAsync(api, rollout.Id, "promote");
        promoted.Promoted.ShouldBeTrue();
        promoted.PhaseIndex.ShouldBe(0, "blue devices start again from the first phase");
        var done = await WaitForStateAsync(api, rollout.Id, Finished, TimeSpan.FromMinutes(4));
        done.State.ShouldBe("completed");
        done.Devices.GetValueOrDefault("healthy").ShouldBe(fleet.Devices);
        await Eventually.TrueAsync(async () => (await DevicesAsync(api)).All(d => d.Firmware == "3.0.0"),
            TimeSpan.FromMinutes(1), "every device reporting 3.0.0", Cancellation);
    }

    [Theory]
    [InlineData("6.6.6", "errorReports", null, "erroring", "reporting errors more often")]
    [InlineData("6.6.7", "crashes", 5, "rebooted", "rebooting more often")]
    public async Task A_release_whose_devices_report_errors_or_crash_breaches_its_canary_on_that_signal_and_rolls_back(
        string version, string fault, int? crashAfterSeconds, string signal, string reason)
    {
        var api = fleet.Api;
        var before = (await DevicesAsync(api)).ToDictionary(d => d.Id, d => d.Firmware);
        await SetFirmwareFaultAsync(fleet.State, fault, version, hardwareRevision: "", crashAfterSeconds);
        var release = await PublishAsync(api, version, await fleet.TypesAsync());
        var plan = Plan([10, 100], autoRollback: true, maxConcurrentUpdates: fleet.Devices) with
        {
            Phases = [new RolloutPhase(10, TimeSpan.FromSeconds(20), 0.9, 0.05), new RolloutPhase(100, TimeSpan.Zero, 0.9, 0.05)],
        };
        var rollout = await CreateAsync(api, new CreateRolloutRequest(release.Id, Plan: plan));
        await ActAsync(api, rollout.Id, "start");

        var done = await WaitForStateAsync(api, rollout.Id, Finished, TimeSpan.FromMinutes(3));

        done.State.ShouldBe("rolled-back");
        done.PhaseIndex.ShouldBe(0, "the canary breached");
        var gates = (await api.GetFromJsonAsync<PagedList<GateEvaluationResponse>>($"{RolloutHttp.Rollout(rollout.Id)}/gates?pageSize=500", Cancellation))!.Items;
        var breach = gates.First(g => g.Verdict == "breach");
        breach.Failed.ShouldBe(0, "every canary device updated and came up healthy; only its behaviour afterwards was worse");
        var compared = breach.Health.ShouldNotBeNull().Single(h => h.Signal == signal);
        compared.Significant.ShouldBeTrue();
        compared.UpdatedAffected.ShouldBeGreaterThan(compared.UpdatedDevices / 2);
        compared.NotUpdatedAffected.ShouldBe(0);
        breach.Reasons.ShouldContain(r => r.Contains(reason));
        await Eventually.TrueAsync(async () => (await DevicesAsync(api)).All(d => d.Firmware == before[d.Id]),
            TimeSpan.FromMinutes(1), "every device back on the firmware it ran before", Cancellation);
    }

    [Fact]
    public async Task A_rollout_to_one_region_updates_every_device_there_and_no_device_elsewhere()
    {
        var api = fleet.Api;
        var before = (await DevicesAsync(api)).ToDictionary(d => d.Id);
        var region = before.Values.GroupBy(d => d.Region).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
        var inside = before.Values.Where(d => d.Region == region).Select(d => d.Id).ToHashSet();
        inside.Count.ShouldBeLessThan(fleet.Devices, "the fleet spans more than one region");
        var release = await PublishAsync(api, "4.0.0", await fleet.TypesAsync());
        var rollout = await CreateAsync(api, new CreateRolloutRequest(release.Id, new RolloutTarget(Regions: [region]), Plan([10, 100], maxConcurrentUpdates: fleet.Devices)));
        rollout.Matching.ShouldBe(inside.Count);
        rollout.Compatible.ShouldBe(inside.Count);
        await ActAsync(api, rollout.Id, "start");

        var done = await WaitForStateAsync(api, rollout.Id, Finished, TimeSpan.FromMinutes(4));
        done.State.ShouldBe("completed");
        done.Devices.GetValueOrDefault("healthy").ShouldBe(inside.Count);
        done.Phases.ShouldNotBeNull().ShouldAllBe(p => p.Devices.Keys.All(state => state == "healthy"));
        done.Phases.Sum(p => p.Devices.Values.Sum()).ShouldBe(inside.Count);
        (await RolloutDevicesAsync(api, rollout.Id)).Select(d => d.DeviceId).ToHashSet().SetEquals(inside).ShouldBeTrue("the rollout holds exactly the region's devices");
        await Eventually.TrueAsync(async () => (await DevicesAsync(api)).Where(d => inside.Contains(d.Id)).All(d => d.Firmware == "4.0.0"),
            TimeSpan.FromMinutes(1), $"every device in {region} reporting 4.0.0", Cancellation);
        (await MovedAsync(api, before, d => !inside.Contains(d.Id))).ShouldBeEmpty($"devices outside {region} keep their firmware");
    }
}
