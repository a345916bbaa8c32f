using Bunit;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using DevicesPage = Fleet.Web.Components.Pages.Devices;
using Fleet.Web.Services;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using StackExchange.Redis;

namespace Fleet.Tests.Web;

/// <summary>The devices page and its API client against the real API on its own database (120 devices WG-001..WG-120).</summary>
public sealed class DevicesPageTests : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly ApiFixture _fixture;
    private readonly HttpClient _http;
    private readonly ConnectionMultiplexer _redis;
    private readonly BunitContext _context;

    public DevicesPageTests(ApiFixture fixture, BackingServers servers)
    {
        _fixture = fixture;
        _http = fixture.Api.OperatorClient();
        _redis = ConnectionMultiplexer.Connect(servers.RedisConnectionString);
        _context = WebTestContext.Create(_http, _redis);
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

    [Fact]
    public async Task A_status_change_shows_in_the_grid_without_a_reload_on_the_page_and_sort_the_operator_chose()
    {
        var page = _context.Render<DevicesPage>();
        page.WaitForAssertion(() => page.FindAll("[data-testid=device-link]").Count.ShouldBe(50), Wait);
        var grid = page.FindComponent<MudDataGrid<DeviceSummary>>().Instance;
        await page.InvokeAsync(() => grid.SetSortAsync(nameof(DeviceSummary.Serial), MudBlazor.SortDirection.Descending, device => device.Serial));
        page.WaitForAssertion(() => page.FindAll("[data-testid=device-link]")[0].TextContent.ShouldBe("WG-120"), Wait);
        await page.InvokeAsync(() => grid.NavigateTo(Page.Next));
        page.WaitForAssertion(() => Serials(page).ShouldBe(Enumerable.Range(21, 50).Reverse().Select(i => $"WG-{i:000}")), Wait);

        // The API stored the change and published it; the web's feed hands it to the page (as its Redis subscription would).
        var id = await Sql.ScalarAsync<Guid>(_fixture.Api.DatabaseConnectionString,
            "UPDATE devices SET connectivity = 'offline' WHERE serial = 'WG-060' RETURNING id", Cancellation);
        _context.Services.GetRequiredService<FleetStatusFeed>().Publish(new DeviceStatusMessage(id, "unknown", "offline", DateTimeOffset.UtcNow, "test"));

        page.WaitForAssertion(() => Row(page, "WG-060").QuerySelector("[data-status=offline]").ShouldNotBeNull(), Wait);
        Serials(page).ShouldBe(Enumerable.Range(21, 50).Reverse().Select(i => $"WG-{i:000}"));
        grid.CurrentPage.ShouldBe(1);
    }

    [Fact]
    public async Task A_lifecycle_change_made_elsewhere_reaches_the_grid_through_the_API_announcement_on_Redis()
    {
        var feed = _context.Services.GetRequiredService<DeviceChangeFeed>();
        await feed.StartAsync(Cancellation);
        await WaitUntilSubscribedAsync(feed);
        var page = _context.Render<DevicesPage>();
        page.WaitForAssertion(() => page.FindAll("[data-testid=device-link]").Count.ShouldBe(50), Wait);
        page.Find("input[data-testid=filter-text], [data-testid=filter-text] input").Input("WG-07");
        page.WaitForAssertion(() => Serials(page).Count.ShouldBe(10), Wait);
        Row(page, "WG-075").QuerySelector("[data-status=active]").ShouldNotBeNull();

        // Another operator (or the CLI) suspends the device: only the API's message can tell this page.
        var device = (await _context.Services.GetRequiredService<FleetApiClient>().ListDevicesAsync(
            new DeviceQuery { Filters = new DeviceFilters { Text = "WG-075" } }, Cancellation)).Items.ShouldHaveSingleItem();
        using var suspend = await _http.PostAsync($"{FleetHttp.DevicesRoute}/{device.Id}/suspend", null, Cancellation);
        suspend.EnsureSuccessStatusCode();

        page.WaitForAssertion(() => Row(page, "WG-075").QuerySelector("[data-status=suspended]").ShouldNotBeNull(), Wait);
        Serials(page).Count.ShouldBe(10);
        await feed.StopAsync(Cancellation);
    }

    [Fact]
    public async Task The_address_holds_filters_sort_and_page_so_a_shared_link_opens_the_same_view_and_paging_replaces_the_entry()
    {
        var navigation = _context.Services.GetRequiredService<Bunit.TestDoubles.BunitNavigationManager>();
        navigation.NavigateTo("devices?q=WG-0&sort=-serial&page=2&pageSize=25");
        var entries = navigation.History.Count;

        var page = _context.Render<DevicesPage>();

        page.WaitForAssertion(() => Serials(page).ShouldBe(Enumerable.Range(50, 25).Reverse().Select(i => $"WG-{i:000}")), Wait);
        page.Find("input[data-testid=filter-text], [data-testid=filter-text] input").GetAttribute("value").ShouldBe("WG-0");
        var grid = page.FindComponent<MudDataGrid<DeviceSummary>>().Instance;
        await page.InvokeAsync(() => grid.NavigateTo(Page.Next));

        page.WaitForAssertion(() => Serials(page)[0].ShouldBe("WG-049"), Wait);
        page.WaitForAssertion(() => new Uri(navigation.Uri).PathAndQuery.ShouldBe("/devices?page=3&pageSize=25&sort=-serial&q=WG-0"), Wait);
        navigation.History.Count.ShouldBe(entries);
        navigation.History.First().Options.ReplaceHistoryEntry.ShouldBeTrue();
    }

    /// <summary>Pub/sub delivers only to a subscription already made: publish probes until the feed hands one over.</summary>
    private async Task WaitUntilSubscribedAsync(DeviceChangeFeed feed)
    {
        var probe = Guid.NewGuid();
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listening = feed.Subscribe(batch =>
        {
            if (batch.Any(change => change.DeviceId == probe))
            {
                heard.TrySetResult();
            }
        });
        await Eventually.TrueAsync(async () =>
        {
            await _redis.GetSubscriber().PublishAsync(RedisChannel.Literal(FleetChannels.DeviceChanges),
                System.Text.Json.JsonSerializer.Serialize(new DeviceChangeMessage(probe, "probe", "", DateTimeOffset.UtcNow), System.Text.Json.JsonSerializerOptions.Web));
            return heard.Task.IsCompleted;
        }, Wait, "the device change feed to hear Redis", Cancellation);
    }

    private static List<string> Serials(IRenderedComponent<DevicesPage> page) =>
        [.. page.FindAll("[data-testid=device-link]").Select(link => link.TextContent)];

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<DevicesPage> page, string serial) =>
        page.FindAll("tr").Single(row => row.QuerySelector("[data-testid=device-link]")?.TextContent == serial);

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        _redis.Dispose();
        return _context.DisposeAsync();
    }
}
