using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Fleet.Contracts;
using Fleet.Tests.EndToEnd;
using Fleet.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fleet.Tests.Web;

/// <summary>Firmware, rollouts and alerts through a real browser against the whole app from the AppHost.</summary>
[Collection(WholeAppTests.Name)]
public sealed partial class OperatorPagesEndToEndTests : IDisposable
{
    private const int Devices = 20;
    private static readonly LocatorAssertionsToHaveCountOptions Patiently = new() { Timeout = 60_000 };
    private static readonly LocatorAssertionsToHaveAttributeOptions PatientlyAttribute = new() { Timeout = 60_000 };
    private readonly string _stateDirectory = TestDirectories.Create("web-ops-e2e");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Operators_sign_in_publish_firmware_run_a_rollout_from_the_wizard_acknowledge_an_alert_find_it_in_the_audit_use_a_token_sign_out_and_a_viewer_sees_but_cannot_act()
    {
        await using var appHost = await FleetAppHost.StartAsync(_stateDirectory, ["--devices", Devices.ToString()], null, Cancellation);
        var state = appHost.State;
        var web = FleetAppHost.Url(state, "web");
        using var api = FleetAppHost.OperatorApi(state, TimeSpan.FromSeconds(10));
        FleetStatsResponse? stats = null;
        await Eventually.TrueAsync(async () =>
        {
            stats = await api.GetFromJsonAsync<FleetStatsResponse>(FleetHttp.FleetStatsRoute, Cancellation);
            return stats!.ByStatus.GetValueOrDefault("online") == Devices;
        }, TimeSpan.FromMinutes(1), $"all {Devices} simulated devices online", Cancellation);
        // Simulated batteries start between 40 and 100 %: a rule at 100 % is breached by every battery-powered device.
        using (var rule = await api.PostAsJsonAsync("/api/v1/alert-rules", new AlertRuleRequest("Battery below 100 % (e2e)", "battery_low", "warning", Value: 100), Cancellation))
        {
            rule.EnsureSuccessStatusCode();
        }

        await using var browser = await BrowserSession.StartAsync();

        // Sign in at the api's login page as the admin the AppHost seeded; the app bar names them.
        var page = await browser.SignInAsync(web, "admin", FleetAppHost.AdminPassword(state));
        await Expect(page.GetByTestId("user-role")).ToContainTextAsync(FleetRoles.Admin);

        // Firmware: publish a release for every type in the fleet; it appears in the list.
        var version = $"9.{Random.Shared.Next(1000)}.{Random.Shared.Next(1000)}";
        await browser.OpenAsync($"{web}/firmware", page);
        await Input(page, "firmware-version").FillAsync(version);
        await Input(page, "firmware-types").FillAsync(string.Join(",", stats!.ByType.Keys));
        await page.Locator("input[data-testid=firmware-file]").SetInputFilesAsync(new FilePayload { Name = "fw.bin", MimeType = "application/octet-stream", Buffer = [1, 2, 3, 4, 5, 6, 7, 8] });
        await Expect(page.GetByTestId("firmware-file-name")).ToContainTextAsync("fw.bin");
        await page.GetByTestId("firmware-publish").ClickAsync();
        await Expect(page.Locator("[data-testid=firmware-row-version]", new() { HasTextString = version })).ToHaveCountAsync(1, Patiently);
        await BrowserSession.ScreenshotAsync(page, "firmware");

        // Wizard: release from the list's "Roll out", every device, one phase with a minute's soak, start now. The soak
        // keeps the rollout running until the pause below lands: without it, 20 devices could all update first.
        await page.Locator("tr", new() { Has = page.Locator("[data-testid=firmware-row-version]", new() { HasTextString = version }) }).GetByText("Roll out").ClickAsync();
        await Expect(page.GetByTestId("wizard-release")).ToHaveCountAsync(1, Patiently);
        await page.GetByTestId("wizard-next").ClickAsync();
        await Expect(page.GetByTestId("rollout-preview")).ToHaveAttributeAsync("data-compatible", Devices.ToString(), PatientlyAttribute);
        await BrowserSession.ScreenshotAsync(page, "rollout-wizard-target");
        await page.GetByTestId("wizard-next").ClickAsync();
        await page.GetByTestId("phase-single").ClickAsync();
        await Expect(page.GetByTestId("phase-row")).ToHaveCountAsync(1);
        var soak = Input(page, "phase-soak");
        await soak.FillAsync("1");
        await soak.PressAsync("Tab");
        // Each step is awaited before the next click: under load a second click could land before the first re-rendered.
        await page.GetByTestId("wizard-next").ClickAsync();
        await Expect(page.GetByTestId("wizard-options")).ToHaveCountAsync(1, Patiently);
        await page.GetByTestId("wizard-next").ClickAsync();
        await Expect(page.GetByTestId("review-release")).ToHaveTextAsync(version, new() { Timeout = 60_000 });
        await BrowserSession.ScreenshotAsync(page, "rollout-wizard-review");
        await page.GetByTestId("wizard-create").ClickAsync();
        await page.WaitForURLAsync(RolloutUrl(), new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("rollout-state")).ToHaveAttributeAsync("data-state", "running", PatientlyAttribute);
        await Expect(page.GetByTestId("phase")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("rollout-devices")).ToContainTextAsync($"{Devices} compatible");
        await BrowserSession.ScreenshotAsync(page, "rollout-detail");

        // Pause and resume, each confirmed with a reason.
        await ActAsync(page, "pause", "holding for the e2e check");
        await Expect(page.GetByTestId("rollout-state")).ToHaveAttributeAsync("data-state", "paused", PatientlyAttribute);
        await BrowserSession.ScreenshotAsync(page, "rollout-paused");
        await ActAsync(page, "resume", "e2e check done");
        await Expect(page.GetByTestId("rollout-state")).ToHaveAttributeAsync("data-state", "running", PatientlyAttribute);
        var rolloutId = Guid.Parse(page.Url[^36..]);

        // The simulated devices take the update (download, install, reboot, health check): the page shows it complete.
        await Expect(page.GetByTestId("rollout-state")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 180_000 });
        await BrowserSession.ScreenshotAsync(page, "rollout-completed");
        var audit = (await api.GetFromJsonAsync<PagedList<AuditEntryResponse>>($"{RolloutHttp.AuditRoute}?targetId={rolloutId}", Cancellation))!;
        audit.Items.Select(entry => (entry.Action, entry.Reason, entry.Actor)).ShouldContain(("pause", "holding for the e2e check", "admin"));
        await Expect(page.GetByTestId("rollout-audit-actor").Filter(new() { HasTextString = "admin" })).Not.ToHaveCountAsync(0, Patiently);

        await browser.OpenAsync($"{web}/rollouts", page);
        await Expect(page.GetByTestId("rollout-link")).ToHaveCountAsync(1, Patiently);
        await BrowserSession.ScreenshotAsync(page, "rollouts");

        // Alerts: a low-battery alert is acknowledged with a note on screen.
        await browser.OpenAsync($"{web}/alerts", page);
        await Expect(page.GetByTestId("alert-acknowledge")).Not.ToHaveCountAsync(0, new() { Timeout = 60_000 });
        await BrowserSession.ScreenshotAsync(page, "alerts");
        await page.GetByTestId("alert-acknowledge").First.ClickAsync();
        await page.Locator("[data-testid=reason-input] textarea, textarea[data-testid=reason-input]").First.FillAsync("checking the batteries");
        await page.GetByTestId("reason-confirm").ClickAsync();
        await page.GetByTestId("alerts-filter-acknowledged").ClickAsync();
        await Expect(page.GetByTestId("alert-handled").Filter(new() { HasTextString = "checking the batteries" })).ToHaveCountAsync(1, Patiently);
        await BrowserSession.ScreenshotAsync(page, "alerts-acknowledged");

        // Overview: the active alerts by severity (the rollout has completed, so none is in progress).
        await browser.OpenAsync(web, page);
        await Expect(page.GetByTestId("overview-rollout")).ToHaveCountAsync(0, Patiently);
        await Expect(page.Locator("[data-testid=counts-alerts-warning]")).ToHaveCountAsync(1, Patiently);
        await BrowserSession.ScreenshotAsync(page, "overview-activity");

        (await page.Locator("#blazor-error-ui").IsVisibleAsync()).ShouldBeFalse();

        // The audit page names the admin as the one who paused the rollout.
        await browser.OpenAsync($"{web}/audit", page);
        var pauses = page.Locator("tr").Filter(new() { Has = page.Locator("[data-testid=audit-action]", new() { HasTextRegex = new Regex("^pause$") }) });
        await Expect(pauses.First.GetByTestId("audit-actor")).ToHaveTextAsync("admin", new() { Timeout = 30_000 });
        await BrowserSession.ScreenshotAsync(page, "audit");

        // A personal access token: created on the tokens page and shown once, it acts as the admin until revoked there.
        await browser.OpenAsync($"{web}/account/tokens", page);
        var tokenName = Input(page, "token-name");
        await tokenName.FillAsync("e2e-script");
        await tokenName.PressAsync("Tab"); // the field binds when it loses focus; until then Create stays disabled
        await page.GetByTestId("token-create").ClickAsync();
        await Expect(page.GetByTestId("token-value")).ToContainTextAsync(IdentityHttp.PersonalTokenPrefix, new() { Timeout = 30_000 });
        var token = (await page.GetByTestId("token-value").TextContentAsync())!.Trim();
        using var script = new HttpClient { BaseAddress = new Uri(FleetAppHost.Url(state, "api")), Timeout = TimeSpan.FromSeconds(10) };
        script.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var me = (await script.GetFromJsonAsync<MeResponse>(IdentityHttp.MeRoute, Cancellation))!;
        (me.Name, me.AuthenticatedBy).ShouldBe(("admin", "token"));
        await page.GetByTestId("token-revoke").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(page.GetByTestId("token-state")).ToHaveTextAsync("revoked", new() { Timeout = 30_000 });
        using (var refused = await script.GetAsync(IdentityHttp.MeRoute, Cancellation))
        {
            refused.StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
        }

        await BrowserSession.ScreenshotAsync(page, "tokens");

        // Signing out ends the web's session: the next visit goes back to the login page.
        await page.GetByTestId("sign-out").ClickAsync();
        await page.GotoAsync(web);
        await Expect(page.Locator("input[name=username]")).ToHaveCountAsync(1, Patiently);

        // A viewer (created by an admin) sees the rollout and its audit trail but no controls to act on it or on users.
        const string viewerPassword = "Viewer-e2e-password-1";
        using (var created = await api.PostAsJsonAsync(IdentityHttp.UsersRoute, new UserCreateRequest("vera", viewerPassword, FleetRoles.Viewer), Cancellation))
        {
            created.EnsureSuccessStatusCode();
        }

        await using var viewerBrowser = await BrowserSession.StartAsync();
        var viewer = await viewerBrowser.SignInAsync(web, "vera", viewerPassword);
        await Expect(viewer.GetByTestId("user-role")).ToContainTextAsync(FleetRoles.Viewer);
        await viewerBrowser.OpenAsync($"{web}/rollouts/{rolloutId}", viewer);
        await Expect(viewer.GetByTestId("rollout-state")).ToHaveAttributeAsync("data-state", "completed", PatientlyAttribute);
        await Expect(viewer.GetByTestId("rollout-audit-row")).Not.ToHaveCountAsync(0, Patiently);
        await Expect(viewer.GetByTestId("rollout-actions")).ToHaveCountAsync(0);
        await Expect(viewer.GetByTestId("nav-users")).ToHaveCountAsync(0);
        await BrowserSession.ScreenshotAsync(viewer, "rollout-as-viewer");
        await viewerBrowser.OpenAsync($"{web}/alerts", viewer);
        await Expect(viewer.GetByTestId("alert-row")).Not.ToHaveCountAsync(0, Patiently);
        await Expect(viewer.GetByTestId("alert-acknowledge")).ToHaveCountAsync(0);
        await Expect(viewer.GetByTestId("alert-resolve")).ToHaveCountAsync(0);
    }

    private static ILocator Input(IPage page, string testId) =>
        page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    private static async Task ActAsync(IPage page, string action, string reason)
    {
        await page.GetByTestId($"rollout-{action}").ClickAsync();
        await Expect(page.GetByTestId("reason-confirm")).ToBeDisabledAsync();
        await page.Locator("[data-testid=reason-input] textarea, textarea[data-testid=reason-input]").First.FillAsync(reason);
        await Expect(page.GetByTestId("reason-confirm")).ToBeEnabledAsync();
        await page.GetByTestId("reason-confirm").ClickAsync();
    }

    [GeneratedRegex("/rollouts/[0-9a-f-]{36}$")]
    private static partial Regex RolloutUrl();


    public void Dispose() => TestDirectories.Delete(_stateDirectory);
}
