using Bunit;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rollouts;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using RolloutCreatePage = Fleet.Web.Components.Pages.RolloutCreate;
using RolloutDetailPage = Fleet.Web.Components.Pages.RolloutDetail;

namespace Fleet.Tests.Web;

/// <summary>The rollout wizard and detail page against the real API on its own database.</summary>
public sealed partial class RolloutPagesTests : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly ApiFixture _fixture;
    private readonly HttpClient _http;
    private readonly BunitContext _context;
    private readonly string _region = $"wiz-{Guid.NewGuid():N}"[..16];

    public RolloutPagesTests(ApiFixture fixture)
    {
        _fixture = fixture;
        _http = fixture.Api.OperatorClient();
        _context = WebTestContext.Create(_http);
    }

    private static CancellationToken Cancellation => Xunit.TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await RolloutTestFleet.InsertDevicesAsync(_fixture.Api.DatabaseConnectionString, 6, _region, Cancellation, type: "meter");
        await RolloutTestFleet.InsertDevicesAsync(_fixture.Api.DatabaseConnectionString, 4, _region, Cancellation, type: "tracker");
    }

    [Fact]
    public async Task A_plan_whose_phases_shrink_stays_on_its_step_and_names_the_phase()
    {
        var release = await _http.PublishReleaseAsync(Cancellation);
        var wizard = Open(release.Id);
        Next(wizard, "wizard-target");
        Next(wizard, "wizard-phases");
        wizard.FindAll("[data-testid=phase-row]").Count.ShouldBe(4);

        Field(wizard, "phase-percent", 1).Change("1");
        Next(wizard);

        wizard.WaitForAssertion(() => wizard.Markup.ShouldContain("Larger than the phase before: phases only grow."), Wait);
        wizard.Find("[data-testid=wizard-step-phases]").GetAttribute("data-current").ShouldBe("true");
    }

    [Fact]
    public async Task The_target_step_counts_matching_and_compatible_devices_as_the_operator_types_without_a_blur()
    {
        var release = await _http.PublishReleaseAsync(Cancellation, deviceTypes: "meter");
        var wizard = Open(release.Id);
        Next(wizard, "wizard-target");

        Field(wizard, "target-regions").Input(_region);

        wizard.WaitForAssertion(() =>
        {
            var preview = wizard.Find("[data-testid=rollout-preview]");
            (preview.GetAttribute("data-matching"), preview.GetAttribute("data-compatible")).ShouldBe(("10", "6"));
        }, Wait);
        wizard.Find("[data-testid=rollout-preview]").TextContent.ShouldContain("4 excluded");

        Field(wizard, "target-types").Input("tracker");

        wizard.WaitForAssertion(() => wizard.Find("[data-testid=rollout-preview]").GetAttribute("data-matching").ShouldBe("4"), Wait);
        wizard.Find("[data-testid=rollout-preview-none]");
    }

    [Fact]
    public async Task Finishing_the_wizard_creates_a_running_rollout_and_opens_it()
    {
        var release = await _http.PublishReleaseAsync(Cancellation, deviceTypes: "meter");
        // A compatible device outside the region, so the region's count (6) differs from the empty target's (7 or more,
        // with other tests' devices): otherwise the count the test waits for can be the empty target's, still in flight.
        await RolloutTestFleet.InsertDevicesAsync(_fixture.Api.DatabaseConnectionString, 1, $"{_region}-x", Cancellation, type: "meter");
        var wizard = Open(release.Id);
        Next(wizard, "wizard-target");
        Field(wizard, "target-regions").Input(_region);
        wizard.WaitForAssertion(() => wizard.Find("[data-testid=rollout-preview]").GetAttribute("data-compatible").ShouldBe("6"), Wait);
        Next(wizard, "wizard-phases");
        wizard.Find("[data-testid=phase-single]").Click();
        Next(wizard, "wizard-options");
        Field(wizard, "option-name").Change("wizard test");
        Next(wizard, "wizard-review");
        wizard.WaitForAssertion(() => wizard.Find("[data-testid=review-release]").TextContent.ShouldBe(release.Version), Wait);

        wizard.Find("[data-testid=wizard-create]").Click();

        var navigation = _context.Services.GetRequiredService<NavigationManager>();
        wizard.WaitForAssertion(() => navigation.Uri.ShouldMatch(@"/rollouts/[0-9a-f-]{36}$"), Wait);
        var rollout = (await _http.GetAsOperatorAsync<RolloutResponse>(RolloutHttp.Rollout(Guid.Parse(navigation.Uri[^36..])), Cancellation))!;
        (rollout.Name, rollout.State, rollout.Compatible, rollout.Plan.Phases!.Single().Percent).ShouldBe(("wizard test", "running", 6, 100.0));
        rollout.Target.Regions.ShouldBe([_region]);
    }

    [Fact]
    public async Task Pausing_asks_for_a_reason_and_the_page_then_shows_the_rollout_paused()
    {
        var release = await _http.PublishReleaseAsync(Cancellation, deviceTypes: "tracker");
        var rollout = await _http.CreateRolloutAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Regions: [_region]), Name: "pause test"), Cancellation);
        (await _http.ActAsync(rollout.Id, "start", Cancellation)).EnsureSuccessStatusCode();
        var dialogs = _context.Render<MudDialogProvider>();
        var page = _context.Render<RolloutDetailPage>(parameters => parameters.Add(p => p.Id, rollout.Id));
        page.WaitForAssertion(() => page.Find("[data-testid=rollout-state]").GetAttribute("data-state").ShouldBe("running"), Wait);
        page.FindAll("[data-testid=phase]").Count.ShouldBe(4);

        page.Find("[data-testid=rollout-pause]").Click();

        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=reason-dialog-message]").TextContent.ShouldContain("Stop offering the release"), Wait);
        dialogs.Find("[data-testid=reason-confirm]").HasAttribute("disabled").ShouldBeTrue();
        Field(dialogs, "reason-input").Input("battery complaints from the field");
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=reason-confirm]").HasAttribute("disabled").ShouldBeFalse(), Wait);
        dialogs.Find("[data-testid=reason-confirm]").Click();

        page.WaitForAssertion(() => page.Find("[data-testid=rollout-state]").GetAttribute("data-state").ShouldBe("paused"), Wait);
        page.Find("[data-testid=rollout-resume]");
        var audit = (await _http.GetAsOperatorAsync<PagedList<AuditEntryResponse>>($"{RolloutHttp.AuditRoute}?targetId={rollout.Id}&action=pause", Cancellation))!;
        audit.Items.ShouldHaveSingleItem().Reason.ShouldBe("battery complaints from the field");
    }

    [Fact]
    public async Task The_plan_card_shows_the_phase_an_operator_advanced_the_rollout_to()
    {
        var release = await _http.PublishReleaseAsync(Cancellation, deviceTypes: "meter");
        var rollout = await _http.CreateRolloutAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Regions: [_region]), Name: "advance test"), Cancellation);
        (await _http.ActAsync(rollout.Id, "start", Cancellation)).EnsureSuccessStatusCode();
        var dialogs = _context.Render<MudDialogProvider>();
        var page = _context.Render<RolloutDetailPage>(parameters => parameters.Add(p => p.Id, rollout.Id));
        page.WaitForAssertion(() => CurrentPlanPhase(page).ShouldBe(0), Wait);
        page.Find("[data-testid=plan-now]").TextContent.ShouldStartWith("phase 1 of 4");

        page.Find("[data-testid=rollout-advance]").Click();
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=reason-dialog]"), Wait);
        Field(dialogs, "reason-input").Input("the canaries look fine");
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=reason-confirm]").HasAttribute("disabled").ShouldBeFalse(), Wait);
        dialogs.Find("[data-testid=reason-confirm]").Click();

        page.WaitForAssertion(() => CurrentPlanPhase(page).ShouldBe(1), Wait);
        page.Find("[data-testid=plan-now]").TextContent.ShouldStartWith("phase 2 of 4");
        page.FindAll("[data-testid=plan-phase][data-current=true]").ShouldHaveSingleItem().TextContent.ShouldContain("(now)");
    }

    private static int CurrentPlanPhase(IRenderedComponent<RolloutDetailPage> page) =>
        page.FindAll("[data-testid=plan-phase]").ToList().FindIndex(phase => phase.GetAttribute("data-current") == "true");

    [Fact]
    public async Task Each_phase_of_the_timeline_shows_its_bucket_range_and_its_devices_by_update_state()
    {
        var release = await _http.PublishReleaseAsync(Cancellation, deviceTypes: "meter");
        var rollout = await _http.CreateRolloutAsync(new CreateRolloutRequest(release.Id, new RolloutTarget(Regions: [_region]), Name: "phase counts"), Cancellation);
        // The lower half by bucket healthy, the rest failed: by rank, since six random buckets can all fall on one side of 5000.
        await Sql.ExecuteAsync(_fixture.Api.DatabaseConnectionString, """
            UPDATE rollout_devices rd SET state = CASE WHEN ranked.n <= 3 THEN 'healthy' ELSE 'failed' END
            FROM (SELECT device_id, row_number() OVER (ORDER BY bucket) AS n FROM rollout_devices WHERE rollout_id = $1) ranked
            WHERE rd.rollout_id = $1 AND rd.device_id = ranked.device_id
            """, Cancellation, rollout.Id);
        var phases = (await _http.GetAsOperatorAsync<RolloutResponse>(RolloutHttp.Rollout(rollout.Id), Cancellation))!.Phases!;

        var page = _context.Render<RolloutDetailPage>(parameters => parameters.Add(p => p.Id, rollout.Id));

        page.WaitForAssertion(() => page.FindAll("[data-testid=phase-devices]").Count.ShouldBe(4), Wait);
        foreach (var phase in phases)
        {
            var shown = page.Find($"[data-testid=phase][data-phase='{phase.Index}']");
            shown.QuerySelector("[data-testid=phase-buckets]")!.TextContent.ShouldContain($"buckets {phase.FromBucket}–{phase.ToBucket - 1}");
            shown.QuerySelectorAll("[data-testid=phase-state]")
                .ToDictionary(chip => chip.GetAttribute("data-state")!, chip => int.Parse(chip.GetAttribute("data-count")!, System.Globalization.CultureInfo.InvariantCulture))
                .ShouldBe(phase.Devices, ignoreOrder: true);
        }

        page.FindAll("[data-testid=phase-devices]").Sum(counts => int.Parse(counts.GetAttribute("data-total")!, System.Globalization.CultureInfo.InvariantCulture)).ShouldBe(6);
        page.FindAll("[data-testid=phase-state]").Select(chip => chip.GetAttribute("data-state")).Distinct().ShouldBe(["healthy", "failed"], ignoreOrder: true);
    }

    [Fact]
    public void A_rollout_the_API_does_not_know_is_said_to_be_missing()
    {
        var page = _context.Render<RolloutDetailPage>(parameters => parameters.Add(p => p.Id, Guid.NewGuid()));

        page.WaitForAssertion(() => page.Find("[data-testid=rollout-not-found]"), Wait);
    }

    private IRenderedComponent<RolloutCreatePage> Open(Guid releaseId)
    {
        _context.Services.GetRequiredService<NavigationManager>().NavigateTo($"rollouts/new?release={releaseId}");
        var wizard = _context.Render<RolloutCreatePage>();
        wizard.WaitForAssertion(() => wizard.Find("[data-testid=wizard-release]"), Wait);
        return wizard;
    }

    /// <summary>Moves on and waits for the next step to render (the target step first counts the devices).</summary>
    private static void Next(IRenderedComponent<RolloutCreatePage> wizard, string? expect = null)
    {
        wizard.Find("[data-testid=wizard-next]").Click();
        if (expect is not null)
        {
            wizard.WaitForAssertion(() => wizard.Find($"[data-testid={expect}]"), Wait);
        }
    }

    /// <summary>MudBlazor puts the test id on the input or on its wrapper depending on the component.</summary>
    private static AngleSharp.Dom.IElement Field<T>(IRenderedComponent<T> component, string testId, int index = 0)
        where T : IComponent =>
        component.FindAll($"input[data-testid={testId}], [data-testid={testId}] input, textarea[data-testid={testId}], [data-testid={testId}] textarea")[index];

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return _context.DisposeAsync();
    }
}
