using Bunit;
using Fleet.Contracts;
using Fleet.Web.Components.Shared;
using FirmwarePage = Fleet.Web.Components.Pages.Firmware;

namespace Fleet.Tests.Web;

/// <summary>The UI offers each role only the controls the API lets it use (the API still checks every call).</summary>
public sealed class RoleControlsTests
{
    private static readonly DeviceSummary ActiveDevice = new(
        Guid.NewGuid(), "S-1", null, "meter", "rev-a", "eu-west", "blue", [], null, "active", null, DateTimeOffset.UnixEpoch, null, "online");

    [Fact]
    public async Task A_viewer_sees_no_rollout_start_or_pause_and_no_device_suspend()
    {
        await using var context = WebTestContext.Create(WebTestContext.Unreachable(), role: FleetRoles.Viewer);

        context.Render<RolloutActionBar>(p => p.Add(bar => bar.Rollout, Rollout("draft"))).FindAll("[data-testid=rollout-start]").ShouldBeEmpty();
        context.Render<RolloutActionBar>(p => p.Add(bar => bar.Rollout, Rollout("running"))).FindAll("[data-testid=rollout-pause]").ShouldBeEmpty();
        context.Render<LifecycleButtons>(p => p.Add(buttons => buttons.Device, ActiveDevice)).FindAll("[data-testid=lifecycle-suspend]").ShouldBeEmpty();
    }

    [Fact]
    public async Task An_operator_sees_rollout_start_and_pause_and_device_suspend_but_not_retire()
    {
        await using var context = WebTestContext.Create(WebTestContext.Unreachable(), role: FleetRoles.Operator);

        context.Render<RolloutActionBar>(p => p.Add(bar => bar.Rollout, Rollout("draft"))).FindAll("[data-testid=rollout-start]").Count.ShouldBe(1);
        context.Render<RolloutActionBar>(p => p.Add(bar => bar.Rollout, Rollout("running"))).FindAll("[data-testid=rollout-pause]").Count.ShouldBe(1);
        var buttons = context.Render<LifecycleButtons>(p => p.Add(buttons => buttons.Device, ActiveDevice));
        buttons.FindAll("[data-testid=lifecycle-suspend]").Count.ShouldBe(1);
        buttons.FindAll("[data-testid=lifecycle-retire]").ShouldBeEmpty();
    }

    [Fact]
    public async Task An_operator_does_not_see_firmware_publishing_and_an_admin_does()
    {
        await using (var operatorContext = WebTestContext.Create(WebTestContext.Unreachable(), role: FleetRoles.Operator))
        {
            operatorContext.Render<FirmwarePage>().FindAll("[data-testid=firmware-publish]").ShouldBeEmpty();
        }

        await using var adminContext = WebTestContext.Create(WebTestContext.Unreachable());
        adminContext.Render<FirmwarePage>().FindAll("[data-testid=firmware-publish]").Count.ShouldBe(1);
    }

    private static RolloutResponse Rollout(string state) => new(
        Guid.NewGuid(), "r", Guid.NewGuid(), "1.0.0", new RolloutTarget(), new RolloutPlan(), state, 0, 1, GreenFirst: false, Promoted: false,
        Matching: 1, Compatible: 1, Incompatible: 0, new Dictionary<string, int>(), DateTimeOffset.UnixEpoch, null, null, null, "admin");
}
