using System.Net;
using System.Net.Http.Json;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Fleet.Tests.Firmware;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.Rollouts;

public sealed partial class RolloutsApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly ApiFactory _api = fixture.Api;
    private readonly HttpClient _operator = fixture.Api.CreateClient().AsOperator();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static string NewRegion() => $"r-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task Creating_a_rollout_excludes_and_counts_incompatible_devices_and_buckets_the_rest()
    {
        var region = NewRegion();
        var good = await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, 30, region, Cancellation);
        await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, 4, region, Cancellation, type: "sensor");
        await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, 3, region, Cancellation, hardwareRevision: "rev-z");
        await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, 2, region, Cancellation, firmware: "0.1.0");
        await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, 5, NewRegion(), Cancellation);
        var release = await _operator.PublishReleaseAsync(Cancellation, hardwareRevisions: "rev-a", minimumCurrentVersion: "0.9.0");
        var target = new RolloutTarget(Regions: [region]);

        var preview = await PreviewAsync(release.Id, target);
        var rollout = await _operator.CreateRolloutAsync(new CreateRolloutRequest(release.Id, target, Name: "canary"), Cancellation);

        preview.Matching.ShouldBe(39);
        preview.Compatible.ShouldBe(30);
        preview.IncompatibleBy.ShouldBe(new Dictionary<string, int> { ["deviceType"] = 4, ["hardwareRevision"] = 3, ["minimumCurrentVersion"] = 2 }, ignoreOrder: true);
        rollout.State.ShouldBe("draft");
        (rollout.Matching, rollout.Compatible, rollout.Incompatible).ShouldBe((39, 30, 9));
        rollout.Devices.ShouldBe(new Dictionary<string, int> { ["waiting"] = 30 });
        rollout.Plan.Phases!.Select(p => p.Percent).ShouldBe([1, 10, 50, 100]);
        rollout.ReleaseVersion.ShouldBe(release.Version);

        var devices = await _operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(rollout.Id)}/devices?pageSize=500", Cancellation);
        devices!.Total.ShouldBe(30);
        devices.Items.Select(d => d.DeviceId).ShouldBe(good, ignoreOrder: true);
        devices.Items.ShouldAllBe(d => d.Bucket == CohortBucket.Of(d.DeviceId, rollout.Id));
        devices.Items.Select(d => d.Bucket).ShouldBeInOrder();
    }

    [Fact]
    public async Task Targets_combine_types_revisions_environment_tags_and_explicit_ids()
    {
        var region = NewRegion();
        var green = await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, 3, region, Cancellation, environment: "green", tags: ["roof"]);
        await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, 4, region, Cancellation, environment: "blue", tags: ["roof"]);
        await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, 5, region, Cancellation, environment: "green");
        var release = await _operator.PublishReleaseAsync(Cancellation);

        (await PreviewAsync(release.Id, new RolloutTarget(Regions: [region], Environment: "green", Tags: ["roof", "cellar"]))).Matching.ShouldBe(3);
        (await PreviewAsync(release.Id, new RolloutTarget(Regions: [region], DeviceTypes: ["meter"], HardwareRevisions: ["rev-a"]))).Matching.ShouldBe(12);
        (await PreviewAsync(release.Id, new RolloutTarget(DeviceIds: [green[0], green[1], Guid.NewGuid()]))).Matching.ShouldBe(2);
    }

    [Fact]
    public async Task Bad_create_requests_are_400s_naming_the_field_and_create_nothing()
    {
        var release = await _operator.PublishReleaseAsync(Cancellation);
        var before = await CountRolloutsAsync();

        await ShouldNameAsync(new CreateRolloutRequest(Guid.NewGuid()), "releaseId");
        await ShouldNameAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Environment: "purple")), "target.environment");
        await ShouldNameAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Environment: "green"), GreenFirst: true), "greenFirst");
        await ShouldNameAsync(new CreateRolloutRequest(release.Id, Plan: new RolloutPlan(Phases: [new RolloutPhase(50, TimeSpan.Zero, 0.9, 0.1), new RolloutPhase(10, TimeSpan.Zero, 0.9, 0.1)])), "plan.phases[1].percent");
        await ShouldNameAsync(new CreateRolloutRequest(release.Id, Plan: new RolloutPlan(MaxConcurrentUpdates: 0)), "plan.maxConcurrentUpdates");
        await ShouldNameAsync(new CreateRolloutRequest(release.Id, Plan: new RolloutPlan(MinimumExecuted: -1)), "plan.minimumExecuted");
        using var broken = await _operator.PostAsync(RolloutHttp.RolloutsRoute, new StringContent("{\"releaseId\": 12", System.Text.Encoding.UTF8, "application/json"), Cancellation);
        broken.StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        (await CountRolloutsAsync()).ShouldBe(before);
    }

    [Fact]
    public async Task Actions_follow_the_state_machine_and_illegal_ones_are_409s_naming_the_state()
    {
        var rollout = await NewRolloutAsync(devices: 5);

        (await ActAsync(rollout.Id, "pause")).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await ActOkAsync(rollout.Id, "start")).State.ShouldBe("running");
        var paused = await ActOkAsync(rollout.Id, "pause");
        paused.State.ShouldBe("paused");

        using var again = await ActAsync(rollout.Id, "pause");
        again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var problem = await again.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation);
        problem!.Extensions["state"]!.ToString().ShouldBe("paused");

        (await ActAsync(rollout.Id, "promote")).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await ActOkAsync(rollout.Id, "resume")).State.ShouldBe("running");
        var advanced = await ActOkAsync(rollout.Id, "advance");
        (advanced.PhaseIndex, advanced.PhasePercent).ShouldBe((1, 10));
        (await ActOkAsync(rollout.Id, "abort")).State.ShouldBe("aborted");
        (await ActAsync(rollout.Id, "start")).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await ActAsync(rollout.Id, "resume")).StatusCode.ShouldBe(HttpStatusCode.Conflict);

        var detail = await _operator.GetFromJsonAsync<RolloutResponse>(RolloutHttp.Rollout(rollout.Id), Cancellation);
        detail!.State.ShouldBe("aborted");
        detail.FinishedAt.ShouldNotBeNull();
    }

    [Fact]
    public async Task Each_action_is_audited_with_who_and_why()
    {
        var rollout = await NewRolloutAsync(devices: 2);
        using var alice = await IssuerClient.SignedInClientAsync(fixture.Api, "alice", FleetRoles.Operator, Cancellation);
        using var bob = await IssuerClient.SignedInClientAsync(fixture.Api, "bob", FleetRoles.Admin, Cancellation);
        (await alice.ActAsync(rollout.Id, "start", Cancellation, reason: "canary looks fine")).StatusCode.ShouldBe(HttpStatusCode.OK);
        // A name in the body is not who acted: the audit takes the caller's identity.
        using (var claimed = await bob.PostAsJsonAsync(RolloutHttp.Action(rollout.Id, "pause"), new { reason = "battery complaints", by = "mallory" }, Cancellation))
        {
            claimed.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using (var empty = new HttpRequestMessage(HttpMethod.Post, RolloutHttp.Action(rollout.Id, "resume")))
        {
            (await _operator.SendAsync(empty, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await ActAsync(rollout.Id, "resume")).StatusCode.ShouldBe(HttpStatusCode.Conflict);

        var audit = await _operator.GetFromJsonAsync<PagedList<AuditEntryResponse>>($"{RolloutHttp.AuditRoute}?targetId={rollout.Id}", Cancellation);
        audit!.Items.Select(e => (e.Action, e.Actor, e.Reason)).ShouldBe(
        [
            ("resume", "break-glass", null),
            ("pause", "bob", "battery complaints"),
            ("start", "alice", "canary looks fine"),
            ("create", "break-glass", audit.Items[^1].Reason),
        ]);
        audit.Items.ShouldAllBe(e => e.TargetType == "rollout" && e.TargetId == rollout.Id);
        var firstPage = await _operator.GetFromJsonAsync<PagedList<AuditEntryResponse>>($"{RolloutHttp.AuditRoute}?pageSize=1", Cancellation);
        firstPage!.Items.ShouldHaveSingleItem();
        firstPage.Total.ShouldBeGreaterThanOrEqualTo(4);
    }

    [Fact]
    public async Task Starting_a_rollout_whose_devices_are_in_another_running_rollout_is_a_409()
    {
        var region = NewRegion();
        await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, 6, region, Cancellation);
        var release = await _operator.PublishReleaseAsync(Cancellation);
        var first = await _operator.CreateRolloutAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Regions: [region])), Cancellation);
        var second = await _operator.CreateRolloutAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Regions: [region])), Cancellation);

        (await ActAsync(first.Id, "start")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ActAsync(first.Id, "pause")).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var conflict = await ActAsync(second.Id, "start");

        conflict.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await conflict.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!.Extensions["devices"]!.ToString().ShouldBe("6");
        (await _operator.GetFromJsonAsync<RolloutResponse>(RolloutHttp.Rollout(second.Id), Cancellation))!.State.ShouldBe("draft");

        (await ActAsync(first.Id, "abort")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ActAsync(second.Id, "start")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Rolling_back_marks_every_device_that_took_the_release()
    {
        var rollout = await NewRolloutAsync(devices: 4);
        (await ActAsync(rollout.Id, "start")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var ids = (await DevicesAsync(rollout.Id)).Items.Select(d => d.DeviceId).ToList();
        var progress = _api.Services.GetRequiredService<RolloutDeviceProgress>();
        await Sql.ExecuteAsync(_api.DatabaseConnectionString, "UPDATE rollout_devices SET state = 'pending' WHERE rollout_id = $1 AND device_id = ANY($2)", Cancellation, rollout.Id, ids.Take(3).ToArray());
        (await progress.RecordDeviceProgressAsync(rollout.Id, ids[0], DeviceUpdateState.Healthy, null, Cancellation)).ShouldBe(ProgressOutcome.Recorded);
        (await progress.RecordDeviceProgressAsync(rollout.Id, ids[1], DeviceUpdateState.Failed, "boot loop", Cancellation)).ShouldBe(ProgressOutcome.Recorded);

        var rolledBack = await ActOkAsync(rollout.Id, "rollback", reason: "bad build");

        rolledBack.State.ShouldBe("rolled-back");
        var devices = (await DevicesAsync(rollout.Id)).Items.ToDictionary(d => d.DeviceId);
        devices[ids[0]].RollbackRequested.ShouldBeTrue();
        devices[ids[1]].RollbackRequested.ShouldBeTrue();
        devices[ids[1]].Reason.ShouldBe("boot loop");
        devices[ids[2]].RollbackRequested.ShouldBeFalse();
        devices[ids[3]].RollbackRequested.ShouldBeFalse();
        (await progress.RecordDeviceProgressAsync(rollout.Id, ids[0], DeviceUpdateState.RolledBack, "reverted to slot A", Cancellation)).ShouldBe(ProgressOutcome.Recorded);
        (await DevicesAsync(rollout.Id)).Items.Single(d => d.DeviceId == ids[0]).RollbackRequested.ShouldBeFalse();
    }

    [Fact]
    public async Task Device_progress_follows_the_update_state_machine()
    {
        var rollout = await NewRolloutAsync(devices: 1);
        var device = (await DevicesAsync(rollout.Id)).Items.Single().DeviceId;
        var progress = _api.Services.GetRequiredService<RolloutDeviceProgress>();

        (await progress.RecordDeviceProgressAsync(rollout.Id, device, DeviceUpdateState.Downloading, null, Cancellation)).ShouldBe(ProgressOutcome.Illegal);
        await Sql.ExecuteAsync(_api.DatabaseConnectionString, "UPDATE rollout_devices SET state = 'offered' WHERE rollout_id = $1", Cancellation, rollout.Id);
        (await progress.RecordDeviceProgressAsync(rollout.Id, device, DeviceUpdateState.Downloading, null, Cancellation)).ShouldBe(ProgressOutcome.Recorded);
        (await progress.RecordDeviceProgressAsync(rollout.Id, device, DeviceUpdateState.Downloading, null, Cancellation)).ShouldBe(ProgressOutcome.Unchanged);
        (await progress.RecordDeviceProgressAsync(rollout.Id, device, DeviceUpdateState.Rebooting, null, Cancellation)).ShouldBe(ProgressOutcome.Recorded);
        (await progress.RecordDeviceProgressAsync(rollout.Id, device, DeviceUpdateState.Downloaded, null, Cancellation)).ShouldBe(ProgressOutcome.Illegal);
        (await progress.RecordDeviceProgressAsync(rollout.Id, Guid.NewGuid(), DeviceUpdateState.Healthy, null, Cancellation)).ShouldBe(ProgressOutcome.NotFound);

        var stored = (await DevicesAsync(rollout.Id)).Items.Single();
        stored.State.ShouldBe("rebooting");
        stored.StateChangedAt.ShouldNotBeNull();
    }

    [Fact]
    public async Task Lists_filter_by_state_and_page()
    {
        var rollout = await NewRolloutAsync(devices: 3);

        var drafts = await _operator.GetFromJsonAsync<PagedList<RolloutResponse>>($"{RolloutHttp.RolloutsRoute}?state=draft&pageSize=500", Cancellation);
        drafts!.Items.ShouldContain(r => r.Id == rollout.Id);
        drafts.Items.ShouldAllBe(r => r.State == "draft");
        (await _operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(rollout.Id)}/devices?state=waiting&pageSize=2", Cancellation))!
            .ShouldSatisfyAllConditions(page => page.Items.Count.ShouldBe(2), page => page.Total.ShouldBe(3));
        (await _operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(rollout.Id)}/devices?state=healthy", Cancellation))!.Total.ShouldBe(0);

        await FirmwareApiTests.ShouldBeValidationProblemAsync(await _operator.GetAsync($"{RolloutHttp.RolloutsRoute}?state=sleeping", Cancellation), "state");
        await FirmwareApiTests.ShouldBeValidationProblemAsync(await _operator.GetAsync($"{RolloutHttp.Rollout(rollout.Id)}/devices?state=sleeping", Cancellation), "state");
        await FirmwareApiTests.ShouldBeValidationProblemAsync(await _operator.GetAsync($"{RolloutHttp.Rollout(rollout.Id)}/gates?page=0", Cancellation), "page");
        await FirmwareApiTests.ShouldBeValidationProblemAsync(await _operator.GetAsync($"{RolloutHttp.AuditRoute}?pageSize=501", Cancellation), "pageSize");
    }

    [Fact]
    public async Task Unknown_rollouts_are_404_everywhere()
    {
        var unknown = Guid.NewGuid();

        (await _operator.GetAsync(RolloutHttp.Rollout(unknown), Cancellation)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await _operator.GetAsync($"{RolloutHttp.Rollout(unknown)}/gates", Cancellation)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await _operator.GetAsync($"{RolloutHttp.Rollout(unknown)}/devices", Cancellation)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        foreach (var action in new[] { "start", "pause", "resume", "advance", "abort", "rollback", "promote" })
        {
            (await ActAsync(unknown, action)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task Rollout_and_audit_endpoints_need_the_operator_token()
    {
        using var anonymous = _api.CreateClient();

        (await anonymous.GetAsync(RolloutHttp.RolloutsRoute, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsJsonAsync(RolloutHttp.RolloutsRoute, new CreateRolloutRequest(Guid.NewGuid()), Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsJsonAsync(RolloutHttp.PreviewRoute, new RolloutPreviewRequest(Guid.NewGuid()), Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsJsonAsync(RolloutHttp.Action(Guid.NewGuid(), "start"), new RolloutActionRequest(), Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.GetAsync(RolloutHttp.AuditRoute, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    private async Task<RolloutResponse> NewRolloutAsync(int devices)
    {
        var region = NewRegion();
        await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, devices, region, Cancellation);
        var release = await _operator.PublishReleaseAsync(Cancellation);
        return await _operator.CreateRolloutAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Regions: [region])), Cancellation);
    }

    private async Task<RolloutPreviewResponse> PreviewAsync(Guid releaseId, RolloutTarget target)
    {
        using var response = await _operator.PostAsJsonAsync(RolloutHttp.PreviewRoute, new RolloutPreviewRequest(releaseId, target), Cancellation);
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RolloutPreviewResponse>(Cancellation))!;
    }

    private async Task<PagedList<RolloutDeviceResponse>> DevicesAsync(Guid id) =>
        (await _operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(id)}/devices?pageSize=500", Cancellation))!;

    private Task<HttpResponseMessage> ActAsync(Guid id, string action, string? reason = null) =>
        _operator.ActAsync(id, action, Cancellation, reason);

    private async Task<RolloutResponse> ActOkAsync(Guid id, string action, string? reason = null)
    {
        using var response = await ActAsync(id, action, reason);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Cancellation));
        return (await response.Content.ReadFromJsonAsync<RolloutResponse>(Cancellation))!;
    }

    private async Task ShouldNameAsync(CreateRolloutRequest request, string field) =>
        await FirmwareApiTests.ShouldBeValidationProblemAsync(await _operator.PostAsJsonAsync(RolloutHttp.RolloutsRoute, request, Cancellation), field);

    private Task<long> CountRolloutsAsync() => Sql.ScalarAsync<long>(_api.DatabaseConnectionString, "SELECT count(*) FROM rollouts", Cancellation);

    public void Dispose() => _operator.Dispose();
}
