using Bunit;
using Fleet.Tests.Infrastructure;
using DevicesPage = Fleet.Web.Components.Pages.Devices;
using RolloutsPage = Fleet.Web.Components.Pages.Rollouts;
using Fleet.Web.Components.Shared;
using Fleet.Web.Services;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Fleet.Tests.Web;

public sealed class ApiStatusBannerTests(ApiFixture fixture, BackingServers servers) : IClassFixture<ApiFixture>, IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(servers.RedisConnectionString);

    [Fact]
    public async Task No_banner_while_the_API_answers()
    {
        using var http = fixture.Api.OperatorClient();
        await using var context = WebTestContext.Create(http, _redis);
        var banner = context.Render<ApiStatusBanner>();
        var page = context.Render<DevicesPage>();

        page.WaitForAssertion(() => page.Find("[data-testid=devices-total]"), Wait);
        banner.FindAll("[data-testid=api-banner]").ShouldBeEmpty();
        context.Services.GetRequiredService<ApiReachability>().Reachable.ShouldBeTrue();
    }

    [Fact]
    public async Task An_unreachable_API_shows_a_banner_with_the_reason_and_the_page_one_unreachable_state_instead_of_crashing()
    {
        using var http = WebTestContext.Unreachable();
        await using var context = WebTestContext.Create(http, _redis);
        var banner = context.Render<ApiStatusBanner>();

        var page = context.Render<DevicesPage>();

        banner.WaitForAssertion(() => banner.Find("[data-testid=api-banner]").TextContent.ShouldContain("The API cannot be reached"), Wait);
        page.WaitForAssertion(() => page.Find("[data-testid=api-unreachable-state]").TextContent.ShouldContain("The API is unreachable — retrying"), Wait);
        page.FindAll("[data-testid=devices-error]").ShouldBeEmpty();
        page.FindAll("[data-testid=device-link]").ShouldBeEmpty();
    }

    [Fact]
    public async Task Check_again_clears_the_banner_once_the_API_answers()
    {
        using var http = fixture.Api.OperatorClient();
        // The banner's own retry would clear it first: this test is about the button.
        await using var context = WebTestContext.Create(http, _redis, live: new LiveOptions { ApiRetry = TimeSpan.FromMinutes(10) });
        context.Services.GetRequiredService<ApiReachability>().Failed("The API cannot be reached (Connection refused).");
        var banner = context.Render<ApiStatusBanner>();
        banner.Find("[data-testid=api-banner]").TextContent.ShouldContain("Connection refused");

        await banner.Find("[data-testid=api-banner-retry]").ClickAsync(new());

        banner.WaitForAssertion(() => banner.FindAll("[data-testid=api-banner]").ShouldBeEmpty(), Wait);
    }

    [Fact]
    public async Task While_the_API_is_away_the_lists_show_one_clear_state_and_when_it_returns_the_banner_clears_and_they_reload_by_themselves()
    {
        using var api = new SwitchableApi(fixture.Api) { Away = true };
        using var http = api.Client();
        await using var context = WebTestContext.Create(http, _redis);
        var banner = context.Render<ApiStatusBanner>();
        var devices = context.Render<DevicesPage>();
        var rollouts = context.Render<RolloutsPage>();
        var alerts = context.Render<AlertList>();

        banner.WaitForAssertion(() => banner.Find("[data-testid=api-banner]").TextContent.ShouldContain("the test took the API away"), Wait);
        ShowsOnlyTheUnreachableState(devices);
        ShowsOnlyTheUnreachableState(rollouts);
        ShowsOnlyTheUnreachableState(alerts);

        // The grid stays (hidden) so the operator's page and sort survive; its empty pager is not shown.
        devices.Find("[data-testid=devices-grid]").ClassList.ShouldContain("d-none");

        api.Away = false;

        banner.WaitForAssertion(() => banner.FindAll("[data-testid=api-banner]").ShouldBeEmpty(), Wait);
        devices.WaitForAssertion(() => devices.Find("[data-testid=devices-total]").GetAttribute("data-total").ShouldBe("0"), Wait);
        devices.Find("[data-testid=devices-grid]").ClassList.ShouldNotContain("d-none");
        rollouts.WaitForAssertion(() => rollouts.Find("[data-testid=rollouts-empty]"), Wait);
        alerts.WaitForAssertion(() => alerts.Find("[data-testid=alerts-all-clear]"), Wait);
        devices.FindAll("[data-testid=api-unreachable-state]").ShouldBeEmpty();
        rollouts.FindAll("[data-testid=api-unreachable-state]").ShouldBeEmpty();
        alerts.FindAll("[data-testid=api-unreachable-state]").ShouldBeEmpty();
    }

    /// <summary>One notice: no error alert, no spinner (the grid's empty pager is hidden with the grid, checked apart).</summary>
    private static void ShowsOnlyTheUnreachableState<T>(IRenderedComponent<T> list)
        where T : Microsoft.AspNetCore.Components.IComponent
    {
        list.WaitForAssertion(() => list.FindAll("[data-testid=api-unreachable-state]").ShouldHaveSingleItem(), Wait);
        list.FindAll("[data-testid$=-error]").ShouldBeEmpty();
        list.FindAll(".mud-progress-linear").ShouldBeEmpty();
    }

    public void Dispose() => _redis.Dispose();
}
