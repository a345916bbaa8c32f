using Bunit;
using Fleet.Tests.Infrastructure;
using DevicesPage = Fleet.Web.Components.Pages.Devices;
using Fleet.Web.Components.Shared;
using Fleet.Web.Services;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.Web;

public sealed class ApiStatusBannerTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task No_banner_while_the_API_answers()
    {
        using var http = fixture.Api.OperatorClient();
        await using var context = WebTestContext.Create(http);
        var banner = context.Render<ApiStatusBanner>();
        var page = context.Render<DevicesPage>();

        page.WaitForAssertion(() => page.Find("[data-testid=devices-total]"), Wait);
        banner.FindAll("[data-testid=api-banner]").ShouldBeEmpty();
        context.Services.GetRequiredService<ApiReachability>().Reachable.ShouldBeTrue();
    }

    [Fact]
    public async Task An_unreachable_API_shows_a_banner_with_the_reason_and_the_page_an_error_instead_of_crashing()
    {
        using var http = WebTestContext.Unreachable();
        await using var context = WebTestContext.Create(http);
        var banner = context.Render<ApiStatusBanner>();

        var page = context.Render<DevicesPage>();

        banner.WaitForAssertion(() => banner.Find("[data-testid=api-banner]").TextContent.ShouldContain("The API cannot be reached"), Wait);
        page.WaitForAssertion(() => page.Find("[data-testid=devices-error]").TextContent.ShouldContain("cannot be reached"), Wait);
        page.FindAll("[data-testid=device-link]").ShouldBeEmpty();
    }

    [Fact]
    public async Task Check_again_clears_the_banner_once_the_API_answers()
    {
        using var http = fixture.Api.OperatorClient();
        await using var context = WebTestContext.Create(http);
        context.Services.GetRequiredService<ApiReachability>().Failed("The API cannot be reached (Connection refused).");
        var banner = context.Render<ApiStatusBanner>();
        banner.Find("[data-testid=api-banner]").TextContent.ShouldContain("Connection refused");

        await banner.Find("[data-testid=api-banner-retry]").ClickAsync(new());

        banner.WaitForAssertion(() => banner.FindAll("[data-testid=api-banner]").ShouldBeEmpty(), Wait);
    }
}
