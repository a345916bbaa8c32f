using Fleet.Api.Identity;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Identity;

/// <summary>Every api replica seeds at start: replicas starting together must not fail each other.</summary>
public sealed class IdentitySeederTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Replicas_seeding_at_the_same_moment_all_succeed_and_the_admin_still_signs_in()
    {
        var seeds = Enumerable.Range(0, 6).Select(_ => Task.Run(() => IdentitySeeder.SeedAsync(fixture.Api.Services, TestContext.Current.CancellationToken)));

        await Task.WhenAll(seeds);

        var tokens = await IssuerClient.SignInAsync(fixture.Api, "admin", ApiFactory.AdminPassword, TestContext.Current.CancellationToken);
        tokens.AccessToken.ShouldNotBeNullOrEmpty();
    }
}
