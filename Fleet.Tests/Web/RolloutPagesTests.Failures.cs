using Bunit;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rollouts;
using RolloutDetailPage = Fleet.Web.Components.Pages.RolloutDetail;
using RolloutsPage = Fleet.Web.Components.Pages.Rollouts;

namespace Fleet.Tests.Web;

public sealed partial class RolloutPagesTests
{
    [Fact]
    public async Task Failed_devices_stay_listed_after_a_rollback_with_reason_revision_region_and_a_link_and_are_broken_down()
    {
        var region = $"fail-{Guid.NewGuid():N}"[..16];
        var revA = await RolloutTestFleet.InsertDevicesAsync(_fixture.Api.DatabaseConnectionString, 3, region, Cancellation);
        var revB = await RolloutTestFleet.InsertDevicesAsync(_fixture.Api.DatabaseConnectionString, 2, region, Cancellation, hardwareRevision: "rev-b");
        var release = await _http.PublishReleaseAsync(Cancellation);
        var rollout = await _http.CreateRolloutAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Regions: [region])), Cancellation);
        const string bootFailure = "2.0 in slot A failed its boot health check on rev-b; rolled back to slot B";
        await Sql.ExecuteAsync(_fixture.Api.DatabaseConnectionString, """
            UPDATE rollout_devices SET state = 'rolled-back', failure_reason = $3, reason = 'back on slot B', state_changed_at = now()
            WHERE rollout_id = $1 AND device_id = ANY($2)
            """, Cancellation, rollout.Id, revB.ToArray(), bootFailure);
        await Sql.ExecuteAsync(_fixture.Api.DatabaseConnectionString, "UPDATE rollout_devices SET state = 'rebooting' WHERE rollout_id = $1 AND device_id = $2", Cancellation, rollout.Id, revA[0]);

        var page = _context.Render<RolloutDetailPage>(parameters => parameters.Add(p => p.Id, rollout.Id));

        page.WaitForAssertion(() => page.FindAll("[data-testid=rollout-device]").Count.ShouldBe(2), Wait);
        page.Find("[data-testid=rollout-failures-summary]").TextContent.ShouldBe($"2 devices failed their update, all on rev-b, all in {region}.");
        page.Find("[data-testid=counts-failures-hardware-rev-b]").GetAttribute("data-count").ShouldBe("2");
        page.Find("[data-testid=device-filter-failed]").GetAttribute("data-selected").ShouldBe("true");
        var row = page.Find($"[data-testid=rollout-device][data-device='{revB[0]}']");
        row.GetAttribute("data-state").ShouldBe("rolled-back");
        row.QuerySelector("[data-testid=rollout-device-hardware]")!.TextContent.ShouldBe("rev-b");
        row.QuerySelector("[data-testid=rollout-device-region]")!.TextContent.ShouldBe(region);
        row.QuerySelector("[data-testid=rollout-device-reason]")!.TextContent.ShouldBe($"{bootFailure} — then rolled-back: back on slot B");
        row.QuerySelector("[data-testid=rollout-device-link]")!.GetAttribute("href").ShouldBe($"devices/{revB[0]}");
        row.QuerySelector("[data-testid=rollout-device-link]")!.TextContent.ShouldBe($"RT-{revB[0]:N}");

        page.Find("[data-testid=device-filter-in-flight]").Click();

        page.WaitForAssertion(() => page.FindAll("[data-testid=rollout-device]").Select(r => r.GetAttribute("data-device")).ShouldBe([revA[0].ToString()]), Wait);
        page.Find("[data-testid=device-range]").TextContent.ShouldBe("1–1 of 1 device");
    }

    [Fact]
    public async Task The_phases_step_refuses_nonsense_at_each_field_and_keeps_what_was_typed()
    {
        var release = await _http.PublishReleaseAsync(Cancellation);
        var wizard = Open(release.Id);
        Next(wizard, "wizard-target");
        Next(wizard, "wizard-phases");

        Field(wizard, "phase-percent", 0).Change("0");
        Field(wizard, "phase-soak", 1).Change("-5");
        Field(wizard, "phase-success", 2).Change("0");
        Field(wizard, "phase-percent", 3).Change("150");
        Next(wizard);

        wizard.WaitForAssertion(() => FieldError(wizard, "phase-soak", 1).ShouldContain("A soak cannot be negative"), Wait);
        FieldError(wizard, "phase-percent", 0).ShouldContain("From 1 to 100 %.");
        FieldError(wizard, "phase-percent", 3).ShouldContain("From 1 to 100 %.");
        FieldError(wizard, "phase-success", 2).ShouldContain("a gate that needs no healthy device passes anything");
        (Field(wizard, "phase-soak", 1).GetAttribute("value"), Field(wizard, "phase-percent", 3).GetAttribute("value")).ShouldBe(("-5", "150"));
        wizard.Find("[data-testid=wizard-step-phases]").GetAttribute("data-current").ShouldBe("true");
    }

    [Fact]
    public async Task A_target_no_device_can_take_keeps_the_wizard_on_the_target_step()
    {
        var release = await _http.PublishReleaseAsync(Cancellation, deviceTypes: "meter");
        var wizard = Open(release.Id);
        Next(wizard, "wizard-target");
        Field(wizard, "target-regions").Input(_region);
        Field(wizard, "target-types").Input("tracker");
        wizard.WaitForAssertion(() => wizard.Find("[data-testid=rollout-preview]").GetAttribute("data-compatible").ShouldBe("0"), Wait);

        Next(wizard);

        wizard.WaitForAssertion(() => wizard.Find("[data-testid=target-error]").TextContent.ShouldContain("No device can take this release with this target"), Wait);
        wizard.Find("[data-testid=wizard-step-target]").GetAttribute("data-current").ShouldBe("true");
        wizard.FindAll("[data-testid=wizard-phases]").ShouldBeEmpty();
    }

    private static string FieldError(IRenderedComponent<Fleet.Web.Components.Pages.RolloutCreate> wizard, string testId, int index) =>
        Field(wizard, testId, index).Closest(".mud-input-control")!.TextContent;

    [Fact]
    public async Task A_rollout_without_a_name_reads_as_its_release_and_target_without_failures_says_so_and_lists_all_its_devices()
    {
        var release = await _http.PublishReleaseAsync(Cancellation, deviceTypes: "tracker");
        var rollout = await _http.CreateRolloutAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Regions: [_region])), Cancellation);

        var page = _context.Render<RolloutDetailPage>(parameters => parameters.Add(p => p.Id, rollout.Id));

        page.WaitForAssertion(() => page.FindAll("[data-testid=rollout-device]").Count.ShouldBe(4), Wait);
        page.Find("[data-testid=rollout-failures-none]");
        page.Find("[data-testid=device-filter-all]").GetAttribute("data-selected").ShouldBe("true");
        page.FindAll("[data-testid=rollout-device]").ShouldAllBe(row => row.GetAttribute("data-state") == "waiting");
        page.Find("[data-testid=rollout-title]").TextContent.ShouldBe($"{release.Version} to regions {_region}");
        var list = _context.Render<RolloutsPage>();
        list.WaitForAssertion(() => list.FindAll("[data-testid=rollout-link]").Select(link => link.TextContent).ShouldContain($"{release.Version} to regions {_region}"), Wait);
    }
}
