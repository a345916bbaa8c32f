using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.EndToEnd;
using Fleet.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Fleet.Tests.Web;

/// <summary>The whole app from the AppHost, with simulated devices, seen through a real browser.</summary>
[Collection(WholeAppTests.Name)]
public sealed class WebUiEndToEndTests : IDisposable
{
    private const int Devices = 30;
    private static readonly LocatorAssertionsToHaveCountOptions Patiently = new() { Timeout = 60_000 };
    private readonly string _stateDirectory = TestDirectories.Create("web-e2e");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Operators_see_the_simulated_devices_a_device_chart_send_identify_to_it_see_the_devices_on_the_map_and_the_ingest_rate()
    {
        await using var appHost = await FleetAppHost.StartAsync(_stateDirectory, ["--devices", Devices.ToString()], null, Cancellation);
        var state = appHost.State;
        var web = FleetAppHost.Url(state, "web");
        using var api = FleetAppHost.OperatorApi(state, TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(
            async () => (await api.GetFromJsonAsync<FleetStatsResponse>(FleetHttp.FleetStatsRoute, Cancellation))!.ByStatus.GetValueOrDefault("online") == Devices,
            TimeSpan.FromMinutes(1), $"all {Devices} simulated devices online", Cancellation);
        await using var browser = await BrowserSession.StartAsync();

        // Overview, once signed in at the api's login page: the counts by status come from the API's stats.
        var page = await browser.SignInAsync(web, "admin", FleetAppHost.AdminPassword(state));
        await Expect(page.GetByTestId("user-name")).ToHaveTextAsync("admin");
        await Expect(page.Locator($"[data-testid=counts-status-online][data-count='{Devices}']")).ToHaveCountAsync(1, Patiently);
        await Expect(page.GetByTestId("fleet-total")).ToHaveTextAsync(Devices.ToString());
        await BrowserSession.ScreenshotAsync(page, "overview");

        // Devices: the grid lists every simulated device (one page of 50).
        await browser.OpenAsync($"{web}/devices", page);
        await Expect(page.GetByTestId("device-link")).ToHaveCountAsync(Devices, Patiently);
        await Expect(page.GetByTestId("devices-total")).ToHaveAttributeAsync("data-total", Devices.ToString());
        await BrowserSession.ScreenshotAsync(page, "devices");

        // Live: a device suspended elsewhere (here through the API) changes in the grid without a reload, by the API's
        // message on Redis; it is the last row, so the device page below (the first row) is not affected.
        var lastSerial = await page.GetByTestId("device-link").Last.InnerTextAsync();
        var last = (await api.GetFromJsonAsync<DeviceListResponse>($"{FleetHttp.DevicesRoute}?q={lastSerial}", Cancellation))!.Items.Single();
        var lastRow = page.Locator("tr", new() { Has = page.GetByTestId("device-link").GetByText(lastSerial, new() { Exact = true }) });
        await Expect(lastRow.Locator("[data-status=active]")).ToHaveCountAsync(1);
        using (var suspended = await api.PostAsync($"{FleetHttp.DevicesRoute}/{last.Id}/suspend", null, Cancellation))
        {
            suspended.EnsureSuccessStatusCode();
        }

        await Expect(lastRow.Locator("[data-status=suspended]")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await BrowserSession.ScreenshotAsync(page, "devices-live");
        using (var activated = await api.PostAsync($"{FleetHttp.DevicesRoute}/{last.Id}/activate", null, Cancellation))
        {
            activated.EnsureSuccessStatusCode();
        }

        // Device page, reached from the grid once its telemetry is stored: the chart draws lines.
        var first = page.GetByTestId("device-link").First;
        var serial = await first.InnerTextAsync();
        var device = (await api.GetFromJsonAsync<DeviceListResponse>($"{FleetHttp.DevicesRoute}?q={serial}", Cancellation))!.Items.Single();
        await Eventually.TrueAsync(
            async () => (await api.GetFromJsonAsync<List<LatestMetric>>($"{FleetHttp.DevicesRoute}/{device.Id}/telemetry/latest", Cancellation))!.Count > 0,
            TimeSpan.FromMinutes(1), $"telemetry from {serial}", Cancellation);
        await first.ClickAsync();
        await Expect(page.GetByTestId("device-serial")).ToHaveTextAsync(serial, new() { Timeout = 30_000 });
        await Expect(page.Locator("[data-testid=metric-chart] svg path")).Not.ToHaveCountAsync(0, Patiently);
        await Expect(page.GetByTestId("device-event")).Not.ToHaveCountAsync(0);
        await BrowserSession.ScreenshotAsync(page, "device");

        // Commands: identify from the send dialog; the simulated device acknowledges and completes it, and the row follows live.
        await page.GetByTestId("command-open").ClickAsync();
        await page.GetByTestId("command-name-identify").ClickAsync();
        await BrowserSession.ScreenshotAsync(page, "device-command-dialog");
        await page.GetByTestId("command-send").ClickAsync();
        await Expect(page.GetByTestId("command-row")).ToHaveCountAsync(1, Patiently);
        await Expect(page.GetByTestId("command-row-state")).ToHaveAttributeAsync("data-state", CommandStates.Completed, new() { Timeout = 60_000 });
        await Expect(page.GetByTestId("command-row-name")).ToHaveTextAsync(CommandNames.Identify);
        await BrowserSession.ScreenshotAsync(page, "device-commands");

        // Map: every device has a location, so every one is a marker (clustered).
        await browser.OpenAsync($"{web}/map", page);
        await Expect(page.Locator($"[data-testid=device-map][data-markers='{Devices}']")).ToHaveCountAsync(1, Patiently);
        await Expect(page.Locator("[data-testid=device-map] .leaflet-marker-icon")).Not.ToHaveCountAsync(0);
        await BrowserSession.ScreenshotAsync(page, "map");

        // Overview again: the simulated fleet's telemetry shows as a non-zero ingest rate and a per-minute chart.
        await browser.OpenAsync(web, page);
        await Expect(page.GetByTestId("ingest-chart")).ToHaveCountAsync(1, Patiently);
        await Expect(page.GetByTestId("ingest-current")).Not.ToHaveAttributeAsync("data-rate", "0", new() { Timeout = 30_000 });
        await BrowserSession.ScreenshotAsync(page, "overview-ingest");

        (await page.Locator("#blazor-error-ui").IsVisibleAsync()).ShouldBeFalse();
    }


    public void Dispose() => TestDirectories.Delete(_stateDirectory);
}
