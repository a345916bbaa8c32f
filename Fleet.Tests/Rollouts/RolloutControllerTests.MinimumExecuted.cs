using Fleet.Api.Rollouts;
using Fleet.Contracts;

namespace Fleet.Tests.Rollouts;

/// <summary>The plan's minimum of finished devices, through the engine's ticks on the real database.</summary>
public sealed partial class RolloutControllerTests
{
    [Fact]
    public async Task The_gate_holds_a_breach_back_until_the_plans_minimum_of_devices_has_finished_then_breaches()
    {
        var region = NewRegion();
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 200, region, Cancellation);
        var rollout = await StartAsync(new RolloutTarget(Regions: [region]), Plan([20, 100]) with { MinimumExecuted = 8 });
        await TickAsync();
        var started = (await PendingAsync(rollout.Id)).Count;
        started.ShouldBeGreaterThan(20, "a 20 % phase of 200 devices");

        await WalkPendingAsync(rollout.Id, _ => DeviceUpdateState.Failed, limit: 3);
        fixture.Clock.Advance(Soak + TimeSpan.FromSeconds(1));
        await TickAsync();

        (await GetAsync(rollout.Id)).State.ShouldBe("running");
        var held = (await GatesAsync(rollout.Id))[0];
        held.Verdict.ShouldBe("wait");
        held.Withheld.ShouldBe("breach");
        (held.Finished, held.RequiredFinished, held.Failed).ShouldBe((3, 8, 3));
        held.FailureRatio.ShouldBeGreaterThan(held.MaxFailureRatio);
        held.Reasons[0].ShouldBe("waiting: 3 of 8 finished devices; a breach is held back until then");

        await WalkPendingAsync(rollout.Id, _ => DeviceUpdateState.Healthy, limit: 5);
        await TickAsync();

        (await GetAsync(rollout.Id)).State.ShouldBe("paused");
        var breach = (await GatesAsync(rollout.Id))[0];
        breach.Verdict.ShouldBe("breach");
        (breach.Finished, breach.RequiredFinished, breach.Withheld).ShouldBe((8, 8, null));
        breach.Reasons.ShouldNotContain(r => r.StartsWith("waiting", StringComparison.Ordinal));
    }
}
