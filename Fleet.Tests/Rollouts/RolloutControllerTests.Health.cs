using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.Rollouts;

/// <summary>The gate's reboot and error comparisons, with marks written the way heartbeats and telemetry write them.</summary>
public sealed partial class RolloutControllerTests
{
    private DeviceHealthMarks Health => fixture.Api.Services.GetRequiredService<DeviceHealthMarks>();

    [Fact]
    public async Task Updated_devices_rebooting_after_their_update_breach_the_gate_by_the_reboot_comparison()
    {
        var updated = await CanaryUpdatedAsync();

        // A minute ago: minutes after the update and its grace, so a crash, not the update's own reboot.
        foreach (var device in updated.Devices)
        {
            await Health.RecordBootAsync(device, fixture.Clock.GetUtcNow(), uptimeSeconds: 60);
        }

        await TickAsync();

        (await GetAsync(updated.Rollout)).State.ShouldBe("paused");
        var gate = (await GatesAsync(updated.Rollout))[0];
        gate.Verdict.ShouldBe("breach");
        gate.Reasons.ShouldContain(r => r.Contains("rebooting more often"));
        var rebooted = gate.Health!.Single(h => h.Signal == "rebooted");
        rebooted.ShouldBe(rebooted with { UpdatedDevices = updated.Devices.Count, UpdatedAffected = updated.Devices.Count, NotUpdatedAffected = 0, Significant = true });
        rebooted.PValue!.Value.ShouldBeLessThan(RolloutGate.Alpha);
        gate.Health!.Single(h => h.Signal == "offline").Significant.ShouldBeFalse();
        gate.Health!.Single(h => h.Signal == "erroring").Significant.ShouldBeFalse();
    }

    [Fact]
    public async Task Updated_devices_reporting_the_error_metric_breach_the_gate_by_the_error_comparison()
    {
        var updated = await CanaryUpdatedAsync();
        foreach (var device in updated.Devices)
        {
            await Health.MarkErrorsAsync(device, fixture.Clock.GetUtcNow());
        }

        await TickAsync();

        var gate = (await GatesAsync(updated.Rollout))[0];
        gate.Verdict.ShouldBe("breach");
        gate.Reasons.ShouldContain(r => r.Contains("reporting errors more often"));
        var erroring = gate.Health!.Single(h => h.Signal == "erroring");
        erroring.UpdatedAffected.ShouldBe(updated.Devices.Count);
        erroring.NotUpdatedAffected.ShouldBe(0);
        erroring.Significant.ShouldBeTrue();
    }

    [Fact]
    public async Task The_updates_own_reboot_and_error_free_readings_do_not_count_against_the_release()
    {
        var updated = await CanaryUpdatedAsync();
        var updatedAt = await ScalarAsync<DateTime>("SELECT max(state_changed_at) FROM rollout_devices WHERE rollout_id = $1 AND state = 'healthy'", updated.Rollout);
        var sinceUpdate = fixture.Clock.GetUtcNow() - new DateTimeOffset(updatedAt, TimeSpan.Zero);
        foreach (var device in updated.Devices)
        {
            // Booted 5 s after its update: the update's own reboot, inside the grace; readings carry errors = 0, which
            // leave no mark (DeviceHealthMarksTests sends such a batch through the API).
            await Health.RecordBootAsync(device, fixture.Clock.GetUtcNow(), uptimeSeconds: (long)(sinceUpdate - TimeSpan.FromSeconds(5)).TotalSeconds);
            Health.ReportsErrors([new TelemetryReading(1, fixture.Clock.GetUtcNow(), new Dictionary<string, double> { ["errors"] = 0 })]).ShouldBeFalse();
        }

        await TickAsync();

        var gate = (await GatesAsync(updated.Rollout))[0];
        gate.Verdict.ShouldBe("pass");
        gate.Health!.Select(h => h.Signal).ShouldBe(["offline", "rebooted", "erroring"]);
        gate.Health!.ShouldAllBe(h => h.UpdatedAffected == 0 && !h.Significant && h.Alpha == RolloutGate.Alpha);
        (await GetAsync(updated.Rollout)).PhaseIndex.ShouldBe(1);

        // Out of the way of the other tests' ticks, which move every running rollout of this API.
        using var aborted = await fixture.Operator.ActAsync(updated.Rollout, "abort", Cancellation, "test done");
        aborted.StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
    }

    /// <summary>A 10 % canary of 400 devices updated and healthy, its soak passed, its gate not yet evaluated.</summary>
    private async Task<(Guid Rollout, IReadOnlyList<Guid> Devices)> CanaryUpdatedAsync()
    {
        var region = NewRegion();
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 400, region, Cancellation);
        var rollout = await StartAsync(new RolloutTarget(Regions: [region]), Plan([10, 100]));
        await TickAsync();
        await WalkPendingAsync(rollout.Id, _ => DeviceUpdateState.Healthy);
        fixture.Clock.Advance(Soak + TimeSpan.FromSeconds(1));
        var devices = (await DevicesAsync(rollout.Id)).Where(d => d.State == "healthy").Select(d => d.DeviceId).ToList();
        devices.Count.ShouldBeGreaterThan(20);
        return (rollout.Id, devices);
    }
}
