using Bunit;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rollouts;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using RolloutDetailPage = Fleet.Web.Components.Pages.RolloutDetail;

namespace Fleet.Tests.Web;

public sealed partial class RolloutPagesTests
{
    [Fact]
    public async Task The_phases_step_says_at_the_field_when_k_is_more_than_the_smallest_stratum_has_and_the_rollout_takes_the_k_typed()
    {
        var release = await _http.PublishReleaseAsync(Cancellation, deviceTypes: "meter");
        var wizard = Open(release.Id);
        Next(wizard, "wizard-target");
        Field(wizard, "target-regions").Input(_region);
        wizard.WaitForAssertion(() => wizard.Find("[data-testid=rollout-preview]").GetAttribute("data-compatible").ShouldBe("6"), Wait);
        Next(wizard, "wizard-phases");

        Field(wizard, "phase-min-per-stratum").Input("7");

        wizard.WaitForAssertion(() => FieldError(wizard, "phase-min-per-stratum", 0).ShouldContain($"rev-a × {_region} has 6 devices in the target: at most 6"), Wait);
        Next(wizard);
        wizard.WaitForAssertion(() => wizard.Find("[data-testid=wizard-step-phases]").GetAttribute("data-current").ShouldBe("true"), Wait);

        Field(wizard, "phase-min-per-stratum").Input("5");
        wizard.WaitForAssertion(() => FieldError(wizard, "phase-min-per-stratum", 0).ShouldNotContain("at most"), Wait);
        Next(wizard, "wizard-options");
        Next(wizard, "wizard-review");
        wizard.WaitForAssertion(() => wizard.Find("[data-testid=review-min-per-stratum]").TextContent.ShouldBe("at least 5 per hardware revision × region"), Wait);
        wizard.Find("[data-testid=wizard-create]").Click();

        var navigation = _context.Services.GetRequiredService<NavigationManager>();
        wizard.WaitForAssertion(() => navigation.Uri.ShouldMatch(@"/rollouts/[0-9a-f-]{36}$"), Wait);
        var rollout = (await _http.GetAsOperatorAsync<RolloutResponse>(RolloutHttp.Rollout(Guid.Parse(navigation.Uri[^36..])), Cancellation))!;
        rollout.Plan.MinPerStratum.ShouldBe(5);
    }

    [Fact]
    public async Task The_device_table_marks_late_joiners_and_the_stratum_canaries()
    {
        var release = await _http.PublishReleaseAsync(Cancellation, deviceTypes: "meter");
        var rollout = await _http.CreateRolloutAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Regions: [_region]), Name: "late joiners"), Cancellation);
        // What the controller writes for a device that joins the target later (RolloutStrataTests covers the controller).
        var joiner = await Sql.ScalarAsync<Guid>(_fixture.Api.DatabaseConnectionString, """
            UPDATE rollout_devices SET joined_at = now() WHERE rollout_id = $1
                AND device_id = (SELECT device_id FROM rollout_devices WHERE rollout_id = $1 AND NOT pinned ORDER BY bucket LIMIT 1)
            RETURNING device_id
            """, Cancellation, rollout.Id);

        var page = _context.Render<RolloutDetailPage>(parameters => parameters.Add(p => p.Id, rollout.Id));

        page.WaitForAssertion(() => page.FindAll("[data-testid=rollout-device]").Count.ShouldBe(6), Wait);
        page.FindAll("[data-testid=rollout-device-joined-late]").ShouldHaveSingleItem().Closest("[data-testid=rollout-device]")!.GetAttribute("data-device").ShouldBe(joiner.ToString());
        page.Find("[data-testid=rollout-device-joined-late]").TextContent.ShouldBe("joined late");
        page.FindAll("[data-testid=rollout-device-pinned]").Count.ShouldBe(3, "the three lowest buckets of rev-a in the region");
        page.Find("[data-testid=plan-min-per-stratum]").TextContent.ShouldContain("the 3 lowest buckets of every hardware revision × region");
    }
}
