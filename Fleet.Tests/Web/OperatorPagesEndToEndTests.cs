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
    public async Task Operators_publish_firmware_start_a_rollout_in_the_wizard_pause_and_resume_it_see_it_complete_and_acknowledge_an_alert()
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

        // Firmware: publish a release for every type in the fleet; it appears in the list.
        var version = $"9.{Random.Shared.Next(1000)}.{Random.Shared.Next(1000)}";
        var page = await browser.OpenAsync($"{web}/firmware");
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
        await page.GetByTestId("wizard-next").ClickAsync();
        await page.GetByTestId("wizard-next").ClickAsync();
        await Expect(page.GetByTestId("review-release")).ToHaveTextAsync(version);
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
        audit.Items.Select(entry => (entry.Action, entry.Reason, entry.Actor)).ShouldContain(("pause", "holding for the e2e check", "operator (web)"));

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
