using System.Net;
using System.Net.Http.Json;
using Fleet.Api.Identity;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.Identity;

/// <summary>
/// <c>Fleet:Identity:External</c>: the API accepts another OpenID Connect provider's access tokens. The provider here is
/// a second Fleet.Api with its own users and signing key, reached at <see cref="ProviderAddress"/>; the API reads its
/// discovery document and keys over HTTP like any provider's.
/// </summary>
public sealed class ExternalIssuerTests(ExternalIssuerTests.Fixture fixture) : IClassFixture<ExternalIssuerTests.Fixture>
{
    public const string ProviderAddress = "http://provider.test";
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_providers_token_acts_with_the_role_and_name_it_carries_and_nothing_more()
    {
        await IssuerClient.CreateUserAsync(fixture.Provider, "olga", FleetRoles.Operator, Cancellation);
        var tokens = await IssuerClient.SignInAsync(fixture.Provider, "olga", IssuerClient.PasswordOf("olga"), Cancellation, ProviderAddress);
        using var olga = IssuerClient.Bearer(fixture.Api, tokens.AccessToken);

        (await olga.GetFromJsonAsync<MeResponse>(IdentityHttp.MeRoute, Cancellation)).ShouldBe(new MeResponse("olga", FleetRoles.Operator, FleetAuth.ExternalMethod));
        using (var users = await olga.GetAsync(IdentityHttp.UsersRoute, Cancellation))
        {
            users.StatusCode.ShouldBe(HttpStatusCode.Forbidden, "an operator is not an admin, whoever issued the token");
        }

        using (var token = await olga.PostAsJsonAsync(IdentityHttp.TokensRoute, new PersonalTokenRequest("script"), Cancellation))
        {
            token.StatusCode.ShouldBe(HttpStatusCode.Forbidden, "personal tokens belong to Fleet's own accounts");
            (await token.Content.ReadAsStringAsync(Cancellation)).ShouldContain("another provider");
        }
    }

    [Fact]
    public async Task A_token_that_names_the_provider_but_is_not_signed_by_it_is_a_401_problem()
    {
        await IssuerClient.CreateUserAsync(fixture.Provider, "mallory", FleetRoles.Admin, Cancellation);
        var tokens = await IssuerClient.SignInAsync(fixture.Provider, "mallory", IssuerClient.PasswordOf("mallory"), Cancellation, ProviderAddress);
        var parts = tokens.AccessToken.Split('.');
        // Another signature over the same header and claims: what a forger without the provider's key can offer.
        var forged = $"{parts[0]}.{parts[1]}.{new string('A', parts[2].Length)}";
        using var mallory = IssuerClient.Bearer(fixture.Api, forged);

        using var me = await mallory.GetAsync(IdentityHttp.MeRoute, Cancellation);
        me.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        me.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
    }

    /// <summary>The provider (a Fleet.Api with its own key) and the API that trusts it.</summary>
    public sealed class Fixture(BackingServers servers) : IAsyncLifetime
    {
        public ApiFactory Provider { get; private set; } = null!;

        public ApiFactory Api { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            Provider = await ApiFactory.StartAsync(servers, TestContext.Current.CancellationToken,
                new Dictionary<string, string?> { ["Fleet:Identity:SigningKey"] = IssuerKeys.NewPem() });
            Api = await ApiFactory.StartAsync(servers, TestContext.Current.CancellationToken,
                new Dictionary<string, string?> { ["Fleet:Identity:External:Authority"] = ProviderAddress },
                // Configure, not PostConfigure: JWT bearer's own post-configuration builds its metadata client from this handler.
                services => services.Configure<JwtBearerOptions>(ExternalIssuerSettings.Scheme,
                    bearer => bearer.BackchannelHttpHandler = Provider.Server.CreateHandler()));
        }

        public async ValueTask DisposeAsync()
        {
            await Api.DisposeAsync();
            await Provider.DisposeAsync();
        }
    }
}
