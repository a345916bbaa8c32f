using System.Net;
using System.Net.Http.Json;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Npgsql;

namespace Fleet.Tests.Rollouts;

public sealed partial class RolloutControllerTests(RolloutControllerFixture fixture) : IClassFixture<RolloutControllerFixture>
{
    private static readonly TimeSpan Soak = TimeSpan.FromMinutes(5);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static RolloutPlan Plan(double[]? percents = null, bool autoRollback = false, int maxConcurrent = 10_000, IReadOnlyList<SegmentOverride>? overrides = null) => new(
        Phases: [.. (percents ?? [1, 10, 50, 100]).Select(p => new RolloutPhase(p, Soak, 0.95, 0.05))],
        SegmentOverrides: overrides,
        AutoRollback: autoRollback,
        MaxConcurrentUpdates: maxConcurrent,
        PerDeviceTimeout: TimeSpan.FromMinutes(30),
        Retries: 1);

    [Fact]
    public async Task A_good_release_goes_through_every_phase_to_100_percent_on_its_own()
    {
        var region = NewRegion();
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 300, region, Cancellation);
        var rollout = await StartAsync(new RolloutTarget(Regions: [region]), Plan());
        var percentsSeen = new List<double>();

        var final = await RunAsync(rollout.Id, _ => DeviceUpdateState.Healthy, until: ["completed"], onTick: async current =>
        {
            percentsSeen.Add(current.PhasePercent);
            var limit = CohortBucket.Limit(current.PhasePercent);
            // Pinned devices (the stratified canary's three lowest buckets) are in from the first phase on.
            (await ScalarAsync<long>("SELECT count(*) FROM rollout_devices WHERE rollout_id = $1 AND state <> 'waiting' AND bucket >= $2 AND NOT pinned", rollout.Id, limit)).ShouldBe(0);
        });

        final.State.ShouldBe("completed");
        final.Devices.ShouldBe(new Dictionary<string, int> { ["healthy"] = 300 });
        percentsSeen.Distinct().ShouldBe([1, 10, 50, 100]);
        var gates = await GatesAsync(rollout.Id);
        gates.Where(g => g.Verdict == "pass").Select(g => g.PhaseIndex).ShouldBe([3, 2, 1, 0]);
        gates.ShouldAllBe(g => g.Verdict != "breach");
        var advances = await AuditAsync(rollout.Id, "advance");
        advances.Count.ShouldBe(4);
        advances.ShouldAllBe(a => a.Actor == "controller" && a.Reason!.Contains("gate pass"));
    }

    [Fact]
    public async Task A_release_that_fails_on_rev_b_pauses_at_the_canary_with_the_gates_numbers_stored()
    {
        var region = NewRegion();
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 200, region, Cancellation, hardwareRevision: "rev-a");
        var revB = await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 200, region, Cancellation, hardwareRevision: "rev-b");
        var rollout = await StartAsync(new RolloutTarget(Regions: [region]), Plan([5, 50, 100]));

        var final = await RunAsync(rollout.Id, device => revB.Contains(device) ? DeviceUpdateState.Failed : DeviceUpdateState.Healthy, until: ["paused"]);

        final.State.ShouldBe("paused");
        final.PhaseIndex.ShouldBe(0);
        var breach = (await GatesAsync(rollout.Id))[0];
        breach.Verdict.ShouldBe("breach");
        breach.Failed.ShouldBeGreaterThan(0);
        breach.FailureRatio.ShouldBe((double)breach.Failed / breach.Cohort, tolerance: 1e-9);
        breach.FailureRatio.ShouldBeGreaterThan(breach.MaxFailureRatio);
        breach.Reasons.ShouldContain(r => r.Contains("failure ratio"));
        (await ScalarAsync<long>("SELECT count(*) FROM rollout_devices WHERE rollout_id = $1 AND state <> 'waiting' AND bucket >= $2", rollout.Id, CohortBucket.Limit(5))).ShouldBe(0);
        (await AuditAsync(rollout.Id, "pause")).ShouldHaveSingleItem().Actor.ShouldBe("controller");

        await TickAsync();
        (await GetAsync(rollout.Id)).State.ShouldBe("paused");
    }

    [Fact]
    public async Task Updated_devices_going_offline_breach_the_gate_by_the_health_comparison()
    {
        var region = NewRegion();
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 400, region, Cancellation);
        var rollout = await StartAsync(new RolloutTarget(Regions: [region]), Plan([10, 100]));
        await TickAsync();
        await WalkPendingAsync(rollout.Id, _ => DeviceUpdateState.Healthy);
        await Sql.ExecuteAsync(fixture.DatabaseConnectionString,
            "UPDATE devices SET connectivity = 'offline' WHERE id IN (SELECT device_id FROM rollout_devices WHERE rollout_id = $1 AND state = 'healthy')", Cancellation, rollout.Id);
        fixture.Clock.Advance(Soak + TimeSpan.FromSeconds(1));

        await TickAsync();

        (await GetAsync(rollout.Id)).State.ShouldBe("paused");
        var gate = (await GatesAsync(rollout.Id))[0];
        gate.Verdict.ShouldBe("breach");
        gate.Failed.ShouldBe(0);
        gate.UpdatedOffline.ShouldBe(gate.UpdatedDevices);
        gate.NotUpdatedOffline.ShouldBe(0);
        gate.PValue!.Value.ShouldBeLessThan(gate.Alpha);
        gate.Test.ShouldBeOneOf(RolloutGate.ZTest, RolloutGate.FisherTest);
    }

    [Fact]
    public async Task With_auto_rollback_a_breached_gate_rolls_the_rollout_back_and_marks_its_devices()
    {
        var region = NewRegion();
        var revB = await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 300, region, Cancellation, hardwareRevision: "rev-b");
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 300, region, Cancellation);
        var rollout = await StartAsync(new RolloutTarget(Regions: [region]), Plan([5, 100], autoRollback: true));

        var final = await RunAsync(rollout.Id, device => revB.Contains(device) ? DeviceUpdateState.Failed : DeviceUpdateState.Healthy, until: ["rolled-back"]);

        final.State.ShouldBe("rolled-back");
        final.FinishedAt.ShouldNotBeNull();
        (await GatesAsync(rollout.Id))[0].Verdict.ShouldBe("breach");
        (await AuditAsync(rollout.Id, "rollback")).ShouldHaveSingleItem().Actor.ShouldBe("controller");
        var started = await ScalarAsync<long>("SELECT count(*) FROM rollout_devices WHERE rollout_id = $1 AND state IN ('healthy', 'failed')", rollout.Id);
        started.ShouldBeGreaterThan(0);
        (await ScalarAsync<long>("SELECT count(*) FROM rollout_devices WHERE rollout_id = $1 AND rollback_requested", rollout.Id)).ShouldBe(started);
        (await ScalarAsync<long>("SELECT count(*) FROM rollout_devices WHERE rollout_id = $1 AND state = 'waiting' AND rollback_requested", rollout.Id)).ShouldBe(0);
    }

    [Fact]
    public async Task A_segment_only_rollout_touches_no_device_outside_it_and_overrides_slow_a_region()
    {
        var (target, slow, other) = (NewRegion(), NewRegion(), NewRegion());
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 200, target, Cancellation);
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 200, slow, Cancellation);
        var outside = await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 100, other, Cancellation);
        var rollout = await StartAsync(
            new RolloutTarget(Regions: [target, slow]),
            Plan([50, 100], overrides: [new SegmentOverride(slow, [5, 100])]));

        await TickAsync();
        (await ScalarAsync<long>("SELECT count(*) FROM rollout_devices WHERE rollout_id = $1 AND region = $2 AND state = 'pending' AND bucket >= 500", rollout.Id, slow)).ShouldBe(0);
        (await ScalarAsync<long>("SELECT count(*) FROM rollout_devices WHERE rollout_id = $1 AND region = $2 AND state = 'pending'", rollout.Id, target)).ShouldBeGreaterThan(60);
        var final = await RunAsync(rollout.Id, _ => DeviceUpdateState.Healthy, until: ["completed"]);

        final.Devices.ShouldBe(new Dictionary<string, int> { ["healthy"] = 400 });
        (await ScalarAsync<long>("SELECT count(*) FROM rollout_devices WHERE device_id = ANY($1)", outside.ToArray())).ShouldBe(0);
    }

    [Fact]
    public async Task Blue_green_updates_green_first_waits_for_promote_then_releases_to_blue()
    {
        var region = NewRegion();
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 60, region, Cancellation, environment: "green");
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 60, region, Cancellation, environment: "blue");
        var rollout = await StartAsync(new RolloutTarget(Regions: [region]), Plan([50, 100]), greenFirst: true);

        var green = await RunAsync(rollout.Id, _ => DeviceUpdateState.Healthy, until: [], stopWhen: r => r.PhaseIndex == 1 && r.Devices.GetValueOrDefault("healthy") == 60, maxTicks: 20);
        for (var i = 0; i < 3; i++)
        {
            await TickAsync();
            fixture.Clock.Advance(Soak + TimeSpan.FromSeconds(1));
        }

        var waiting = await GetAsync(rollout.Id);
        waiting.State.ShouldBe("running");
        waiting.Devices.ShouldBe(new Dictionary<string, int> { ["healthy"] = 60, ["waiting"] = 60 });
        (await ScalarAsync<long>("SELECT count(*) FROM rollout_devices WHERE rollout_id = $1 AND environment = 'blue' AND state <> 'waiting'", rollout.Id)).ShouldBe(0);
        (await OperatorActAsync(rollout.Id, "advance")).StatusCode.ShouldBe(HttpStatusCode.Conflict);

        using var promote = await OperatorActAsync(rollout.Id, "promote");
        promote.StatusCode.ShouldBe(HttpStatusCode.OK);
        var promoted = (await promote.Content.ReadFromJsonAsync<RolloutResponse>(Cancellation))!;
        (promoted.Promoted, promoted.PhaseIndex).ShouldBe((true, 0));

        var final = await RunAsync(rollout.Id, _ => DeviceUpdateState.Healthy, until: ["completed"]);
        final.Devices.ShouldBe(new Dictionary<string, int> { ["healthy"] = 120 });
        green.GreenFirst.ShouldBeTrue();
    }

    [Fact]
    public async Task Enrolment_respects_max_concurrent_updates()
    {
        var region = NewRegion();
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 50, region, Cancellation);
        var rollout = await StartAsync(new RolloutTarget(Regions: [region]), Plan([100], maxConcurrent: 10));

        var report = await TickAsync();
        report.Enrolled.ShouldBe(10);
        await TickAsync();
        (await GetAsync(rollout.Id)).Devices["pending"].ShouldBe(10);

        await WalkPendingAsync(rollout.Id, _ => DeviceUpdateState.Healthy, limit: 4);
        (await TickAsync()).Enrolled.ShouldBe(4);
        var gate = (await GatesAsync(rollout.Id))[0];
        gate.Verdict.ShouldBe("wait");
        (await OperatorActAsync(rollout.Id, "abort")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Devices_without_progress_are_retried_then_failed_after_the_timeout()
    {
        var region = NewRegion();
        await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 3, region, Cancellation);
        var rollout = await StartAsync(new RolloutTarget(Regions: [region]), Plan([100]) with { Retries = 1, PerDeviceTimeout = TimeSpan.FromMinutes(10) });
        await TickAsync();
        var devices = await PendingAsync(rollout.Id);
        devices.Count.ShouldBe(3);
        foreach (var device in devices)
        {
            (await fixture.Progress.RecordDeviceProgressAsync(rollout.Id, device, DeviceUpdateState.Offered, null, Cancellation)).ShouldBe(ProgressOutcome.Recorded);
        }

        await fixture.Progress.RecordDeviceProgressAsync(rollout.Id, devices[0], DeviceUpdateState.Downloading, null, Cancellation);
        fixture.Clock.Advance(TimeSpan.FromMinutes(9));
        (await TickAsync()).Retried.ShouldBe(0);

        fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        (await TickAsync()).Retried.ShouldBe(3);
        var retried = await DevicesAsync(rollout.Id);
        retried.ShouldAllBe(d => d.State == "pending" && d.Attempts == 1);
        retried.Single(d => d.DeviceId == devices[0]).Reason!.ShouldContain("downloading");

        foreach (var device in devices)
        {
            await fixture.Progress.RecordDeviceProgressAsync(rollout.Id, device, DeviceUpdateState.Offered, null, Cancellation);
        }

        fixture.Clock.Advance(TimeSpan.FromMinutes(11));
        (await TickAsync()).TimedOut.ShouldBe(3);
        (await DevicesAsync(rollout.Id)).ShouldAllBe(d => d.State == "failed" && d.Attempts == 2);
    }

    private static string NewRegion() => $"c-{Guid.NewGuid():N}"[..20];

    private async Task<RolloutResponse> StartAsync(RolloutTarget target, RolloutPlan plan, bool greenFirst = false)
    {
        var release = await fixture.Operator.PublishReleaseAsync(Cancellation);
        var rollout = await fixture.Operator.CreateRolloutAsync(new CreateRolloutRequest(release.Id, target, plan, GreenFirst: greenFirst), Cancellation);
        using var started = await fixture.Operator.ActAsync(rollout.Id, "start", Cancellation, "test");
        started.StatusCode.ShouldBe(HttpStatusCode.OK);
        return rollout;
    }

    /// <summary>Ticks, lets every pending device finish with its outcome, and lets the soak pass, until the rollout reaches a state in <paramref name="until"/>.</summary>
    private async Task<RolloutResponse> RunAsync(
        Guid id, Func<Guid, DeviceUpdateState> outcome, string[] until, Func<RolloutResponse, Task>? onTick = null, Func<RolloutResponse, bool>? stopWhen = null, int maxTicks = 40)
    {
        for (var tick = 0; tick < maxTicks; tick++)
        {
            await TickAsync();
            var current = await GetAsync(id);
            if (until.Contains(current.State) || stopWhen?.Invoke(current) == true)
            {
                return current;
            }

            if (onTick is not null)
            {
                await onTick(current);
            }

            await WalkPendingAsync(id, outcome);
            fixture.Clock.Advance(Soak + TimeSpan.FromSeconds(1));
        }

        throw new TimeoutException($"Rollout {id} did not reach {string.Join("/", until)} in {maxTicks} ticks: {(await GetAsync(id)).State}.");
    }

    /// <summary>What a device does with an offer: every step of the update, then healthy, or failed and back on its old slot.</summary>
    private async Task WalkPendingAsync(Guid id, Func<Guid, DeviceUpdateState> outcome, int? limit = null)
    {
        foreach (var device in (await PendingAsync(id)).Take(limit ?? int.MaxValue))
        {
            foreach (var step in new[] { DeviceUpdateState.Offered, DeviceUpdateState.Downloading, DeviceUpdateState.Downloaded, DeviceUpdateState.Installing, DeviceUpdateState.Rebooting })
            {
                (await fixture.Progress.RecordDeviceProgressAsync(id, device, step, null, Cancellation)).ShouldBe(ProgressOutcome.Recorded);
            }

            var end = outcome(device);
            (await fixture.Progress.RecordDeviceProgressAsync(id, device, end, end == DeviceUpdateState.Failed ? "boot health check failed" : null, Cancellation)).ShouldBe(ProgressOutcome.Recorded);
            if (end == DeviceUpdateState.Failed)
            {
                (await fixture.Progress.RecordDeviceProgressAsync(id, device, DeviceUpdateState.RolledBack, "back on slot A", Cancellation)).ShouldBe(ProgressOutcome.Recorded);
            }
        }
    }

    private Task<RolloutTickReport> TickAsync() => fixture.Engine.TickAsync(Cancellation);

    private async Task<List<Guid>> PendingAsync(Guid id)
    {
        await using var connection = new NpgsqlConnection(fixture.DatabaseConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand("SELECT device_id FROM rollout_devices WHERE rollout_id = $1 AND state = 'pending' ORDER BY bucket", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        while (await reader.ReadAsync(Cancellation))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private async Task<T> ScalarAsync<T>(string sql, params object[] parameters) =>
        await Infrastructure.Sql.ScalarAsync<T>(fixture.DatabaseConnectionString, sql, Cancellation, parameters);

    private async Task<RolloutResponse> GetAsync(Guid id) =>
        (await fixture.Operator.GetFromJsonAsync<RolloutResponse>(RolloutHttp.Rollout(id), Cancellation))!;

    private async Task<IReadOnlyList<GateEvaluationResponse>> GatesAsync(Guid id) =>
        (await fixture.Operator.GetFromJsonAsync<PagedList<GateEvaluationResponse>>($"{RolloutHttp.Rollout(id)}/gates?pageSize=500", Cancellation))!.Items;

    private async Task<IReadOnlyList<RolloutDeviceResponse>> DevicesAsync(Guid id) =>
        (await fixture.Operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(id)}/devices?pageSize=500", Cancellation))!.Items;

    private async Task<IReadOnlyList<AuditEntryResponse>> AuditAsync(Guid id, string action) =>
        (await fixture.Operator.GetFromJsonAsync<PagedList<AuditEntryResponse>>($"{RolloutHttp.AuditRoute}?targetId={id}&action={action}", Cancellation))!.Items;

    private Task<HttpResponseMessage> OperatorActAsync(Guid id, string action) => fixture.Operator.ActAsync(id, action, Cancellation);
}
