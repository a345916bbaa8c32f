using System.Globalization;
using System.Net;
using System.Security.Claims;
using Fleet.Tests.Infrastructure;
using Fleet.Web.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using StackExchange.Redis;

namespace Fleet.Tests.Web;

/// <summary>Sign-in sessions in Redis: the access token is used while fresh and renewed with the refresh token shortly before it expires.</summary>
public sealed class SessionTokensTests : IDisposable
{
    private const string TokenEndpoint = "http://issuer/connect/token";
    private readonly ConnectionMultiplexer _redis;
    private readonly RedisTicketStore _store;
    private readonly StubApi _issuer = new();
    private readonly SessionTokens _tokens;

    public SessionTokensTests(BackingServers servers)
    {
        _redis = ConnectionMultiplexer.Connect(servers.RedisConnectionString);
        _store = new RedisTicketStore(_redis, new EphemeralDataProtectionProvider(), TimeProvider.System);
        var options = new OpenIdConnectOptions
        {
            ClientId = "fleet-web",
            ClientSecret = "web-secret",
            ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(new OpenIdConnectConfiguration { TokenEndpoint = TokenEndpoint }),
            Backchannel = new HttpClient(_issuer),
        };
        _tokens = new SessionTokens(_store, new FixedOptions(options), TimeProvider.System, NullLogger<SessionTokens>.Instance);
    }

    private static CancellationToken Cancellation => Xunit.TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_fresh_access_token_is_used_as_it_is_and_the_stored_user_knows_its_session()
    {
        var key = await _store.StoreAsync(Ticket("a1", TimeSpan.FromMinutes(30), "r1"));

        (await _tokens.GetAccessTokenAsync(key, Cancellation))!.Value.Token.ShouldBe("a1");

        _issuer.Requests.ShouldBeEmpty();
        (await _store.RetrieveAsync(key))!.Principal.FindFirstValue(RedisTicketStore.SessionClaim).ShouldBe(key);
    }

    [Fact]
    public async Task A_token_about_to_expire_is_refreshed_once_and_the_new_tokens_are_stored()
    {
        _issuer.On(HttpMethod.Post, "/connect/token", _ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent("""{"access_token":"a2","refresh_token":"r2","expires_in":3600,"token_type":"Bearer"}""", System.Text.Encoding.UTF8, "application/json"),
        });
        var key = await _store.StoreAsync(Ticket("a1", TimeSpan.FromSeconds(30), "r1"));

        var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => _tokens.GetAccessTokenAsync(key, Cancellation)));

        results.Select(result => result!.Value.Token).ShouldAllBe(token => token == "a2");
        _issuer.Requests.Count.ShouldBe(1);
        _issuer.Requests[0].ShouldContain("grant_type=refresh_token&refresh_token=r1&client_id=fleet-web&client_secret=web-secret");
        var stored = (await _store.RetrieveAsync(key))!;
        (stored.Properties.GetTokenValue("access_token"), stored.Properties.GetTokenValue("refresh_token")).ShouldBe(("a2", "r2"));
    }

    [Fact]
    public async Task A_refused_refresh_or_a_missing_session_gives_no_token()
    {
        _issuer.On(HttpMethod.Post, "/connect/token", _ => new HttpResponseMessage(HttpStatusCode.BadRequest));
        var key = await _store.StoreAsync(Ticket("a1", TimeSpan.FromSeconds(-5), "r1"));

        (await _tokens.GetAccessTokenAsync(key, Cancellation)).ShouldBeNull();
        (await _tokens.GetAccessTokenAsync(Guid.NewGuid().ToString("N"), Cancellation)).ShouldBeNull();
    }

    private static AuthenticationTicket Ticket(string accessToken, TimeSpan accessTokenLifetime, string refreshToken)
    {
        var properties = new AuthenticationProperties { ExpiresUtc = DateTimeOffset.UtcNow.AddHours(8) };
        properties.StoreTokens(
        [
            new AuthenticationToken { Name = "access_token", Value = accessToken },
            new AuthenticationToken { Name = "refresh_token", Value = refreshToken },
            new AuthenticationToken { Name = "expires_at", Value = DateTimeOffset.UtcNow.Add(accessTokenLifetime).ToString("o", CultureInfo.InvariantCulture) },
        ]);
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim("name", "alice"), new Claim("role", "operator")], "oidc", "name", "role"));
        return new AuthenticationTicket(user, properties, "Cookies");
    }

    public void Dispose()
    {
        _tokens.Dispose();
        _issuer.Dispose();
        _redis.Dispose();
    }

    private sealed class FixedOptions(OpenIdConnectOptions options) : IOptionsMonitor<OpenIdConnectOptions>
    {
        public OpenIdConnectOptions CurrentValue => options;

        public OpenIdConnectOptions Get(string? name) => options;

        public IDisposable? OnChange(Action<OpenIdConnectOptions, string?> listener) => null;
    }
}
