using System.Net;
using System.Net.Http.Json;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Rollouts;

/// <summary>
/// With an hour between routine gate evaluations, a phase is still judged the tick its devices have all finished,
/// and again the tick its soak ends: a zero-soak rollout is paced by its devices, not by the gate interval.
/// </summary>
public sealed class GateTimingTests(GateTimingTests.HourlyGateFixture fixture) : IClassFixture<GateTimingTests.HourlyGateFixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_zero_soak_phase_advances_on_the_tick_after_its_devices_finish()
    {
        var (rollout, devices) = await StartAsync(TimeSpan.Zero);
        (await fixture.Engine.TickAsync(Cancellation)).Enrolled.ShouldBeGreaterThan(0);
        (await PhaseAsync(rollout.Id)).ShouldBe(0, "the phase's devices are still updating");

        await FinishEnrolledAsync(rollout.Id, devices);
        await fixture.Engine.TickAsync(Cancellation);

        (await PhaseAsync(rollout.Id)).ShouldBe(1);
    }

    [Fact]
    public async Task A_settled_phase_is_judged_again_when_its_soak_ends()
    {
        var (rollout, devices) = await StartAsync(TimeSpan.FromMinutes(10));
        await fixture.Engine.TickAsync(Cancellation);
        await FinishEnrolledAsync(rollout.Id, devices);
        await fixture.Engine.TickAsync(Cancellation);
        (await PhaseAsync(rollout.Id)).ShouldBe(0, "the soak has not ended");

        fixture.Clock.Advance(TimeSpan.FromMinutes(5));
        await fixture.Engine.TickAsync(Cancellation);
        (await PhaseAsync(rollout.Id)).ShouldBe(0, "halfway through the soak nothing is judged again");

        fixture.Clock.Advance(TimeSpan.FromMinutes(5));
        await fixture.Engine.TickAsync(Cancellation);
        (await PhaseAsync(rollout.Id)).ShouldBe(1);
    }

    private async Task<(RolloutResponse Rollout, List<Guid> Devices)> StartAsync(TimeSpan soak)
    {
        var devices = await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 20, $"gate-{Guid.NewGuid():N}"[..12], Cancellation);
        var release = await fixture.Operator.PublishReleaseAsync(Cancellation);
        var rollout = await fixture.Operator.CreateRolloutAsync(new CreateRolloutRequest(
            release.Id,
            new RolloutTarget(DeviceIds: devices),
            new RolloutPlan(Phases: [new RolloutPhase(50, soak, 1, 0), new RolloutPhase(100, TimeSpan.Zero, 1, 0)])), Cancellation);
        (await fixture.Operator.ActAsync(rollout.Id, "start", Cancellation)).StatusCode.ShouldBe(HttpStatusCode.OK);
        return (rollout, devices);
    }

    private async Task FinishEnrolledAsync(Guid rolloutId, List<Guid> devices)
    {
        var page = await fixture.Operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(rolloutId)}/devices?pageSize=100", Cancellation);
        var enrolled = page!.Items.Where(d => d.State != "waiting").Select(d => d.DeviceId).ToList();
        enrolled.Count.ShouldBeInRange(1, 19, "a 50 % phase of 20 devices");
        enrolled.ShouldBeSubsetOf(devices);
        foreach (var device in enrolled)
        {
            (await fixture.Progress.RecordDeviceProgressAsync(rolloutId, device, DeviceUpdateState.Healthy, null, Cancellation)).ShouldBe(ProgressOutcome.Recorded);
        }
    }

    private async Task<int> PhaseAsync(Guid rolloutId) =>
        (await fixture.Operator.GetFromJsonAsync<RolloutResponse>(RolloutHttp.Rollout(rolloutId), Cancellation))!.PhaseIndex;

    /// <summary>The rollout test API with an hour between routine gate evaluations.</summary>
    public sealed class HourlyGateFixture(BackingServers servers) : RolloutControllerFixture(servers)
    {
        protected override string GateInterval => "01:00:00";
    }
}
