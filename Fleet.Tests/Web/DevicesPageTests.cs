using Bunit;
using Fleet.Tests.Infrastructure;
using DevicesPage = Fleet.Web.Components.Pages.Devices;
using Fleet.Web.Services;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Fleet.Tests.Web;

/// <summary>The devices page and its API client against the real API on its own database (120 devices WG-001..WG-120).</summary>
public sealed class DevicesPageTests : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly ApiFixture _fixture;
    private readonly HttpClient _http;
    private readonly BunitContext _context;

    public DevicesPageTests(ApiFixture fixture)
    {
        _fixture = fixture;
        _http = fixture.Api.OperatorClient();
        _context = WebTestContext.Create(_http);
    }

    private static CancellationToken Cancellation => Xunit.TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        await Sql.ScalarAsync<int>(_fixture.Api.DatabaseConnectionString, """
            WITH seeded AS (
                INSERT INTO devices (id, serial, type, hardware_revision, region, environment, tags, lifecycle, created_at)
                SELECT gen_random_uuid(), 'WG-' || lpad(i::text, 3, '0'), CASE WHEN i % 2 = 0 THEN 'meter' ELSE 'tracker' END,
                       'rev-a', 'web-region', 'blue', '{}', CASE WHEN i = 120 THEN 'Retired' ELSE 'Active' END, now()
                FROM generate_series(1, 120) AS i
                ON CONFLICT (serial) DO NOTHING
                RETURNING 1
            )
            SELECT count(*)::int FROM seeded
            """, Cancellation);

    [Fact]
    public void The_grid_shows_the_first_page_in_serial_order_and_the_total_of_the_registry()
    {
        var page = _context.Render<DevicesPage>();

        page.WaitForAssertion(() => page.FindAll("[data-testid=device-link]").Count.ShouldBe(50), Wait);
        page.FindAll("[data-testid=device-link]").Select(link => link.TextContent).ShouldBe(Enumerable.Range(1, 50).Select(i => $"WG-{i:000}"));
        page.Find("[data-testid=devices-total]").GetAttribute("data-total").ShouldBe("120");
    }

    [Fact]
    public void Searching_narrows_the_grid_to_the_matching_devices()
    {
        var page = _context.Render<DevicesPage>();
        page.WaitForAssertion(() => page.FindAll("[data-testid=device-link]").Count.ShouldBe(50), Wait);

        page.Find("input[data-testid=filter-text], [data-testid=filter-text] input").Input("WG-11");

        page.WaitForAssertion(() => page.FindAll("[data-testid=device-link]").Select(link => link.TextContent).ShouldBe(Enumerable.Range(110, 10).Select(i => $"WG-{i:000}")), Wait);
        page.Find("[data-testid=devices-total]").GetAttribute("data-total").ShouldBe("10");
    }

    [Fact]
    public async Task A_grid_state_sorted_descending_on_page_two_is_the_same_page_in_the_API()
    {
        var api = _context.Services.GetRequiredService<FleetApiClient>();
        var state = new GridState<Fleet.Contracts.DeviceSummary>
        {
            Page = 1,
            PageSize = 25,
            SortDefinitions = [new SortDefinition<Fleet.Contracts.DeviceSummary>(nameof(Fleet.Contracts.DeviceSummary.Serial), true, 0, _ => "")],
            FilterDefinitions = [],
        };

        var page = await api.ListDevicesAsync(DeviceGridQuery.From(state, new DeviceFilters { Region = "web-region" }), Cancellation);

        page.Total.ShouldBe(120);
        page.Items.Select(device => device.Serial).ShouldBe(Enumerable.Range(71, 25).Reverse().Select(i => $"WG-{i:000}"));
    }

    [Fact]
    public async Task A_refused_lifecycle_change_reads_as_the_API_explains_it_and_an_allowed_one_returns_the_device()
    {
        var api = _context.Services.GetRequiredService<FleetApiClient>();
        var devices = await api.ListDevicesAsync(new DeviceQuery { Filters = new DeviceFilters { Text = "WG-120" } }, Cancellation);
        var retired = devices.Items.ShouldHaveSingleItem();

        var refused = await api.ChangeLifecycleAsync(retired.Id, LifecycleAction.Activate, Cancellation);

        refused.Succeeded.ShouldBeFalse();
        refused.Refusal.ShouldBe("The device is retired and cannot become active.");

        var active = (await api.ListDevicesAsync(new DeviceQuery { Filters = new DeviceFilters { Text = "WG-119" } }, Cancellation)).Items.ShouldHaveSingleItem();
        var suspended = await api.ChangeLifecycleAsync(active.Id, LifecycleAction.Suspend, Cancellation);
        suspended.Device.ShouldNotBeNull().Lifecycle.ShouldBe("suspended");
    }

    [Fact]
    public void Suspending_from_the_grid_asks_first_then_reports_the_new_lifecycle()
    {
        var dialogs = _context.Render<MudDialogProvider>();
        var snackbars = _context.Render<MudSnackbarProvider>();
        var page = _context.Render<DevicesPage>();
        page.WaitForAssertion(() => page.FindAll("[data-testid=device-link]").Count.ShouldBe(50), Wait);
        page.Find("input[data-testid=filter-text], [data-testid=filter-text] input").Input("WG-118");
        page.WaitForAssertion(() => page.FindAll("[data-testid=device-link]").ShouldHaveSingleItem().TextContent.ShouldBe("WG-118"), Wait);

        page.Find("[data-testid=lifecycle-suspend]").Click();

        dialogs.WaitForAssertion(() => dialogs.Markup.ShouldContain("Its key stops working"), Wait);
        dialogs.FindAll("button").Single(button => button.TextContent.Trim() == "Suspend").Click();
        snackbars.WaitForAssertion(() => snackbars.Markup.ShouldContain("WG-118 is now suspended."), Wait);
        page.WaitForAssertion(() => page.Find("[data-testid=lifecycle-activate]"), Wait);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return _context.DisposeAsync();
    }
}
