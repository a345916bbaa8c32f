using Fleet.Tests.EndToEnd;
using Fleet.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Fleet.Tests.Dashboard;

/// <summary>The dashboard's pages in a real browser (Debian's Chromium through Playwright), against the whole app.</summary>
[Collection(WholeAppTests.Name)]
public sealed class DashboardBrowserTests : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private const float PageTimeoutMs = 60_000;
    private readonly string _stateDirectory = TestDirectories.Create("dashboard-ui");
    private readonly string _profileDirectory = TestDirectories.Create("chromium");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>Screenshots land beside the test binaries, under artifacts/, for CI to keep.</summary>
    private static string Screenshot(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "artifacts", "dashboard");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }

    [Fact]
    public async Task Resources_page_shows_every_resource_a_trace_opens_as_a_waterfall_and_logs_and_metrics_render()
    {
        using var appHost = FleetAppHost.StartProcess(_stateDirectory, "--devices", "3");
        var state = await appHost.WaitUntilHealthyAsync(StartTimeout, Cancellation);
        var dashboardUrl = FleetAppHost.Url(state, "dashboard");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchPersistentContextAsync(_profileDirectory, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            ViewportSize = new ViewportSize { Width = 1600, Height = 1000 },
        });
        var page = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
        page.SetDefaultTimeout(PageTimeoutMs);

        await page.GotoAsync(dashboardUrl);
        foreach (var name in new[] { "cache", "postgres", "fleetdb", "api", "web", "devices", "dashboard" })
        {
            await page.Locator("[data-testid=resource-name]", new PageLocatorOptions { HasTextRegex = new System.Text.RegularExpressions.Regex($"^{name}$") }).First.WaitForAsync();
        }

        (await page.Locator("text=Healthy").CountAsync()).ShouldBeGreaterThanOrEqualTo(7);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("resources.png"), FullPage = true });

        await page.GotoAsync($"{dashboardUrl}/traces");
        var crossService = page.Locator("tr", new PageLocatorOptions { HasText = "devices:" }).Filter(new LocatorFilterOptions { HasText = "api" });
        await Eventually.TrueAsync(async () =>
        {
            if (await crossService.CountAsync() > 0)
            {
                return true;
            }

            await page.ReloadAsync();
            return false;
        }, TimeSpan.FromSeconds(90), "a trace from devices through api on the traces page", Cancellation);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("traces.png"), FullPage = true });

        await crossService.First.Locator("[data-testid=trace-link]").ClickAsync();
        await page.Locator("[data-testid=waterfall]").WaitForAsync();
        await Eventually.TrueAsync(async () => await page.Locator("[data-testid=span-row]").CountAsync() >= 2,
            TimeSpan.FromSeconds(30), "at least two spans in the waterfall", Cancellation);
        await page.Locator("[data-testid=span-row]").Nth(1).ClickAsync();
        await page.Locator("[data-testid=span-details]").WaitForAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("trace-waterfall.png"), FullPage = true });

        (await page.Locator("[data-testid=span-row]").AllInnerTextsAsync()).ShouldContain(text => text.Contains("api", StringComparison.Ordinal));
        (await page.Locator("[data-testid=span-row]").AllInnerTextsAsync()).ShouldContain(text => text.Contains("devices", StringComparison.Ordinal));

        await page.GotoAsync($"{dashboardUrl}/structuredlogs");
        await page.Locator("[data-testid=logs] tbody tr").First.WaitForAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("structured-logs.png"), FullPage = true });

        await page.GotoAsync($"{dashboardUrl}/metrics");
        await page.Locator("[data-testid=metric-chart] polyline").First.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("metrics.png"), FullPage = true });
    }

    public void Dispose()
    {
        TestDirectories.Delete(_stateDirectory);
        TestDirectories.Delete(_profileDirectory);
    }
}
