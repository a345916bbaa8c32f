using System.Net;
using System.Net.Http.Json;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.Rollouts;

public sealed partial class RolloutsApiTests
{
    [Fact]
    public async Task A_failed_update_stays_visible_after_rollback_with_its_revision_region_and_device_history()
    {
        var region = NewRegion();
        var revA = await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, 2, region, Cancellation);
        var revB = await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, 2, region, Cancellation, hardwareRevision: "rev-b");
        var release = await _operator.PublishReleaseAsync(Cancellation);
        var rollout = await _operator.CreateRolloutAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Regions: [region])), Cancellation);
        (await ActAsync(rollout.Id, "start")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await Sql.ExecuteAsync(_api.DatabaseConnectionString, "UPDATE rollout_devices SET state = 'rebooting' WHERE rollout_id = $1", Cancellation, rollout.Id);
        var progress = _api.Services.GetRequiredService<RolloutDeviceProgress>();
        const string bootFailure = "failed its boot health check on rev-b; rolled back to slot B";
        (await progress.RecordDeviceProgressAsync(rollout.Id, revB[0], DeviceUpdateState.Failed, bootFailure, Cancellation)).ShouldBe(ProgressOutcome.Recorded);
        (await progress.RecordDeviceProgressAsync(rollout.Id, revA[0], DeviceUpdateState.Healthy, null, Cancellation)).ShouldBe(ProgressOutcome.Recorded);

        await ActOkAsync(rollout.Id, "rollback", reason: "rev-b does not boot");
        (await progress.RecordDeviceProgressAsync(rollout.Id, revB[0], DeviceUpdateState.RolledBack, "nothing of this rollout installed", Cancellation)).ShouldBe(ProgressOutcome.Recorded);

        var failed = (await _operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(rollout.Id)}/devices?failed=true", Cancellation))!;
        var device = failed.Items.ShouldHaveSingleItem();
        (device.DeviceId, device.State, device.FailureReason, device.Reason).ShouldBe((revB[0], "rolled-back", bootFailure, "nothing of this rollout installed"));
        (device.HardwareRevision, device.Region, device.DeviceName).ShouldBe(("rev-b", region, $"RT-{revB[0]:N}"));
        var detail = (await _operator.GetFromJsonAsync<RolloutResponse>(RolloutHttp.Rollout(rollout.Id), Cancellation))!;
        detail.Failures!.Total.ShouldBe(1);
        detail.Failures.ByHardwareRevision.ShouldBe(new Dictionary<string, int> { ["rev-b"] = 1 });
        detail.Failures.ByRegion.ShouldBe(new Dictionary<string, int> { [region] = 1 });
        (await _operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(rollout.Id)}/devices?state=healthy,rolled-back", Cancellation))!.Total.ShouldBe(2);

        var history = (await _operator.GetFromJsonAsync<DeviceEventsResponse>($"{FleetHttp.DevicesRoute}/{revB[0]}/events", Cancellation))!.Items.Where(e => e.Kind == "update").ToList();
        history.Select(e => (e.From, e.To)).ShouldBe([("failed", "rolled-back"), ("rebooting", "failed")]);
        history[1].Detail.ShouldBe($"{release.Version}: {bootFailure}");
    }

    [Fact]
    public async Task Starting_a_rollout_no_device_can_take_is_a_409_naming_why()
    {
        var region = NewRegion();
        await RolloutTestFleet.InsertDevicesAsync(_api.DatabaseConnectionString, 3, region, Cancellation, hardwareRevision: "rev-z");
        var release = await _operator.PublishReleaseAsync(Cancellation, hardwareRevisions: "rev-a");
        var rollout = await _operator.CreateRolloutAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Regions: [region])), Cancellation);

        using var refused = await ActAsync(rollout.Id, "start");

        refused.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var problem = (await refused.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!;
        problem.Title.ShouldBe("No compatible devices");
        problem.Detail.ShouldBe("None of the 3 devices the target matches can take the release (device type, hardware revision or current version); change the target or the release.");
        (await _operator.GetFromJsonAsync<RolloutResponse>(RolloutHttp.Rollout(rollout.Id), Cancellation))!.State.ShouldBe("draft");
    }
}
