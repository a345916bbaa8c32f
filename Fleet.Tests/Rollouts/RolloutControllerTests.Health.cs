using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
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

    [Fact]
    public async Task A_reboot_an_operator_sent_is_not_taken_for_a_crash()
    {
        var updated = await CanaryUpdatedAsync();
        var now = fixture.Clock.GetUtcNow();
        // Two devices rebooted on their own; one had a reboot command queued that never reached it; the rest rebooted
        // on an operator's command, accepted 90 s ago and reported done 55 s ago.
        var crashed = updated.Devices.Take(2).ToList();
        var neverSent = updated.Devices[2];
        var commanded = updated.Devices.Skip(3).ToList();
        var command = Guid.NewGuid();
        await Sql.ExecuteAsync(fixture.DatabaseConnectionString,
            "INSERT INTO commands (id, name, created_by, created_at, expires_at) VALUES ($1, 'reboot', 'operator', $2, $2 + interval '10 minutes')",
            Cancellation, command, now - TimeSpan.FromSeconds(90));
        await Sql.ExecuteAsync(fixture.DatabaseConnectionString, """
            INSERT INTO command_deliveries (command_id, device_id, state, attempts, last_sent_at, expires_at, updated_at)
            SELECT $1, device_id, state, 1, $2, $2 + interval '10 minutes', $3 FROM unnest($4::uuid[], $5::text[]) AS x(device_id, state)
            """, Cancellation, command, now - TimeSpan.FromSeconds(90), now - TimeSpan.FromSeconds(55),
            commanded.Append(neverSent).ToArray(), commanded.Select(_ => "completed").Append("queued").ToArray());

        // Every device booted a minute ago, as in the crash test above.
        foreach (var device in updated.Devices)
        {
            await Health.RecordBootAsync(device, now, uptimeSeconds: 60);
        }

        await TickAsync();

        var rebooted = (await GatesAsync(updated.Rollout))[0].Health!.Single(h => h.Signal == "rebooted");
        rebooted.UpdatedDevices.ShouldBe(updated.Devices.Count);
        rebooted.UpdatedAffected.ShouldBe(crashed.Count + 1, "the two that crashed and the one whose command was never sent");

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
