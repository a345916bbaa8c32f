using System.Net;
using System.Net.Http.Json;
using Fleet.Api.Devices;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.Rollouts;

/// <summary>Devices that leave the release after reporting healthy on it, seen through their heartbeats.</summary>
public sealed partial class RolloutControllerTests
{
    [Fact]
    public async Task A_device_that_reports_its_old_version_after_updating_fails_its_phase_and_shows_why()
    {
        var region = NewRegion();
        using var devicesHttp = fixture.Api.CreateClient();
        var keys = new Dictionary<Guid, string>();
        for (var i = 0; i < 24; i++)
        {
            var registered = await devicesHttp.RegisterDeviceAsync(
                DeviceClient.Registration($"SR-{Guid.NewGuid():N}"[..24]) with { Region = region }, Cancellation);
            keys[registered.DeviceId] = registered.DeviceKey;
            await HeartbeatAsync(devicesHttp, registered.DeviceKey, "1.0.0", "A");
        }

        await FlushHeartbeatsAsync();
        var release = await fixture.Operator.PublishReleaseAsync(Cancellation);
        var strict = new RolloutPlan(
            Phases: [new RolloutPhase(50, Soak, 0.95, MaxFailureRatio: 0), new RolloutPhase(100, Soak, 0.95, MaxFailureRatio: 0)],
            MaxConcurrentUpdates: 100, PerDeviceTimeout: TimeSpan.FromMinutes(30));
        var rollout = await fixture.Operator.CreateRolloutAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Regions: [region]), strict), Cancellation);
        (await fixture.Operator.ActAsync(rollout.Id, "start", Cancellation)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await TickAsync();
        var updated = await PendingAsync(rollout.Id);
        updated.Count.ShouldBeGreaterThanOrEqualTo(4, "half of 24 devices, give or take");
        var (fellBack, unassigned, stayed, flipped) = (updated[0], updated[1], updated[2], updated[3]);
        await WalkPendingAsync(rollout.Id, _ => DeviceUpdateState.Healthy);

        // The registry has the new version of each updated device but one, which flips back within one mirror interval later.
        foreach (var device in updated.Where(d => d != flipped))
        {
            await HeartbeatAsync(devicesHttp, keys[device], release.Version, "B");
        }

        await FlushHeartbeatsAsync();
        await TickAsync();
        (await GatesAsync(rollout.Id))[0].Verdict.ShouldBe("wait", "still soaking, nothing failed");

        await HeartbeatAsync(devicesHttp, keys[fellBack], "1.0.0", "A");
        await HeartbeatAsync(devicesHttp, keys[unassigned], "9.9.9", "B");
        await HeartbeatAsync(devicesHttp, keys[stayed], release.Version, "B");
        var mirror = fixture.Api.Services.GetRequiredService<DeviceHeartbeatMirror>();
        mirror.Record(flipped, new HeartbeatRequest(80, -60, release.Version, "B", 100), fixture.Clock.GetUtcNow());
        mirror.Record(flipped, new HeartbeatRequest(80, -60, "1.0.0", "A", 5), fixture.Clock.GetUtcNow().AddSeconds(1));
        await FlushHeartbeatsAsync();

        var listed = (await DevicesAsync(rollout.Id)).ToDictionary(d => d.DeviceId);
        (listed[fellBack].State, listed[fellBack].FailureReason).ShouldBe(("failed", $"silent rollback: reported 1.0.0, assigned {release.Version}"));
        (listed[unassigned].State, listed[unassigned].FailureReason).ShouldBe(("failed", $"silent rollback: reported 9.9.9, assigned {release.Version}"));
        listed[stayed].State.ShouldBe("healthy");
        listed[flipped].FailureReason.ShouldBe($"silent rollback: reported 1.0.0, assigned {release.Version}", "1.0.0 in the registry, but it reported the release in between");
        var events = await EventsAsync(fellBack);
        events.ShouldContain(e => e.Kind == "update" && e.From == "healthy" && e.To == "failed" && e.Detail == $"{release.Version}: silent rollback: reported 1.0.0, assigned {release.Version}");
        events.ShouldNotContain(e => e.Kind == "firmware-unassigned", "1.0.0 is the version it ran before");
        (await EventsAsync(unassigned)).ShouldContain(e => e.Kind == "firmware-unassigned" && e.Detail!.StartsWith("reported 9.9.9", StringComparison.Ordinal));
        (await EventsAsync(stayed)).ShouldNotContain(e => e.Kind == "firmware-unassigned" || e.To == "failed");

        fixture.Clock.Advance(Soak + TimeSpan.FromSeconds(1));
        await TickAsync();

        var paused = await GetAsync(rollout.Id);
        (paused.State, paused.PhaseIndex).ShouldBe(("paused", 0));
        var breach = (await GatesAsync(rollout.Id))[0];
        (breach.Verdict, breach.PhaseIndex, breach.Failed).ShouldBe(("breach", 0, 3));
        breach.Reasons.ShouldContain(r => r.Contains("failure ratio"));
    }

    private Task FlushHeartbeatsAsync() => fixture.Api.Services.GetRequiredService<DeviceHeartbeatMirror>().FlushAsync(Cancellation);

    private static async Task HeartbeatAsync(HttpClient devicesHttp, string key, string firmware, string slot)
    {
        using var response = await devicesHttp.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, key,
            JsonContent.Create(new HeartbeatRequest(80, -60, firmware, slot, 100)), Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    private async Task<IReadOnlyList<DeviceEventResponse>> EventsAsync(Guid deviceId) =>
        (await fixture.Operator.GetFromJsonAsync<DeviceEventsResponse>($"/api/v1/devices/{deviceId}/events?pageSize=100", Cancellation))!.Items;
}
