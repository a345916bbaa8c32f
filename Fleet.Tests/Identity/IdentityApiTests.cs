using System.Net;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Tests.Identity;

/// <summary>
/// Sign-in at the api's issuer, personal access tokens and accounts, over real HTTP against a real PostgreSQL: who the
/// API takes a caller for, and what a wrong password, an expired or revoked token, a disabled user or a weaker role get.
/// </summary>
public sealed class IdentityApiTests(IdentityApiTests.Fixture fixture) : IClassFixture<IdentityApiTests.Fixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;
    private ApiFactory Api => fixture.Api;

    [Fact]
    public async Task The_first_admin_signs_in_with_the_configured_password_and_the_api_knows_them_by_name()
    {
        var tokens = await IssuerClient.SignInAsync(Api, "admin", ApiFactory.AdminPassword, Cancellation);
        using var admin = IssuerClient.Bearer(Api, tokens.AccessToken);

        var me = await admin.GetFromJsonAsync<MeResponse>(IdentityHttp.MeRoute, Cancellation);

        me.ShouldBe(new MeResponse("admin", FleetRoles.Admin, "session"));
        tokens.RefreshToken.ShouldNotBeNullOrEmpty();
        tokens.IdToken.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_user_get_the_same_message_and_repeated_failures_lock_the_account()
    {
        await IssuerClient.CreateUserAsync(Api, "lena", FleetRoles.Viewer, Cancellation);

        var wrong = await IssuerClient.TryPasswordAsync(Api, "lena", "not-her-password-at-all", Cancellation);
        var unknown = await IssuerClient.TryPasswordAsync(Api, "nobody-by-this-name", "whatever-password", Cancellation);

        wrong.Status.ShouldBe(HttpStatusCode.OK);
        unknown.Status.ShouldBe(HttpStatusCode.OK);
        Message(wrong.Body).ShouldBe(Message(unknown.Body));
        Message(wrong.Body).ShouldContain("Sign-in failed");
        for (var attempt = 2; attempt <= Fixture.MaxFailedSignIns; attempt++)
        {
            await IssuerClient.TryPasswordAsync(Api, "lena", "not-her-password-at-all", Cancellation);
        }

        // Locked: now even the right password is refused, with the same message.
        var locked = await IssuerClient.TryPasswordAsync(Api, "lena", IssuerClient.PasswordOf("lena"), Cancellation);
        Message(locked.Body).ShouldBe(Message(unknown.Body));
        using var admin = IssuerClient.Bearer(Api, ApiFactory.OperatorToken);
        var users = await admin.GetFromJsonAsync<List<UserSummary>>(IdentityHttp.UsersRoute, Cancellation);
        users!.Single(u => u.Name == "lena").LockedOutUntil.ShouldNotBeNull();
    }

    [Fact]
    public async Task Without_a_credential_or_with_a_forged_one_operator_routes_are_401_problems()
    {
        using var anonymous = Api.CreateClient();
        using var forged = IssuerClient.Bearer(Api, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl");
        using var unknownToken = IssuerClient.Bearer(Api, IdentityHttp.PersonalTokenPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

        foreach (var http in new[] { anonymous, forged, unknownToken })
        {
            using var response = await http.GetAsync(FleetHttp.DevicesRoute, Cancellation);
            response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
            (await response.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!.Status.ShouldBe(401);
        }
    }

    [Fact]
    public async Task A_personal_token_is_shown_once_acts_as_its_owner_and_stops_at_once_when_revoked()
    {
        using var session = await IssuerClient.SignedInClientAsync(Api, "otto", FleetRoles.Operator, Cancellation);
        using var made = await session.PostAsJsonAsync(IdentityHttp.TokensRoute, new PersonalTokenRequest("ci", ExpiresInDays: 7), Cancellation);
        made.StatusCode.ShouldBe(HttpStatusCode.Created);
        var created = (await made.Content.ReadFromJsonAsync<PersonalTokenCreated>(Cancellation))!;
        created.Token.ShouldStartWith(IdentityHttp.PersonalTokenPrefix);
        created.Role.ShouldBe(FleetRoles.Operator);

        using var script = IssuerClient.Bearer(Api, created.Token);
        (await script.GetFromJsonAsync<MeResponse>(IdentityHttp.MeRoute, Cancellation)).ShouldBe(new MeResponse("otto", FleetRoles.Operator, "token"));
        var listed = (await session.GetFromJsonAsync<List<PersonalTokenSummary>>(IdentityHttp.TokensRoute, Cancellation))!.Single(t => t.Id == created.Id);
        listed.LastUsedAt.ShouldNotBeNull();
        (await session.GetStringAsync(IdentityHttp.TokensRoute, Cancellation)).ShouldNotContain(created.Token);
        var stored = await Sql.ScalarAsync<byte[]>(Api.DatabaseConnectionString, "SELECT token_hash FROM personal_access_tokens WHERE id = $1", Cancellation, created.Id);
        stored.ShouldBe(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(created.Token)));

        // A token cannot make tokens.
        using (var bred = await script.PostAsJsonAsync(IdentityHttp.TokensRoute, new PersonalTokenRequest("child"), Cancellation))
        {
            bred.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }

        using (var revoked = await session.DeleteAsync(IdentityHttp.Token(created.Id), Cancellation))
        {
            revoked.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        using var after = await script.GetAsync(IdentityHttp.MeRoute, Cancellation);
        after.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await after.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!.Detail!.ShouldContain("revoked");
    }

    [Fact]
    public async Task An_expired_token_is_a_401_and_a_token_never_acts_above_its_owner()
    {
        using var session = await IssuerClient.SignedInClientAsync(Api, "vera", FleetRoles.Viewer, Cancellation);
        using (var above = await session.PostAsJsonAsync(IdentityHttp.TokensRoute, new PersonalTokenRequest("too strong", FleetRoles.Operator), Cancellation))
        {
            above.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await above.Content.ReadAsStringAsync(Cancellation)).ShouldContain("at most its owner's role");
        }

        var token = await CreateTokenAsync(session, "soon expired");
        using var script = IssuerClient.Bearer(Api, token.Token);
        (await script.GetAsync(IdentityHttp.MeRoute, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.OK);

        await Sql.ExecuteAsync(Api.DatabaseConnectionString, "UPDATE personal_access_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1", Cancellation, token.Id);

        (await script.GetAsync(IdentityHttp.MeRoute, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_demoted_owner_demotes_their_tokens_and_a_disabled_one_loses_tokens_and_refreshes()
    {
        var user = await IssuerClient.CreateUserAsync(Api, "demi", FleetRoles.Operator, Cancellation);
        var tokens = await IssuerClient.SignInAsync(Api, "demi", IssuerClient.PasswordOf("demi"), Cancellation);
        using var session = IssuerClient.Bearer(Api, tokens.AccessToken);
        var token = await CreateTokenAsync(session, "automation");
        using var script = IssuerClient.Bearer(Api, token.Token);
        using var admin = IssuerClient.Bearer(Api, ApiFactory.OperatorToken);

        (await admin.PatchAsJsonAsync(IdentityHttp.User(user.Id), new UserUpdateRequest(Role: FleetRoles.Viewer), Cancellation)).EnsureSuccessStatusCode();

        (await script.GetFromJsonAsync<MeResponse>(IdentityHttp.MeRoute, Cancellation))!.Role.ShouldBe(FleetRoles.Viewer);
        using (var write = await script.PostAsJsonAsync($"{FleetHttp.DevicesRoute}/{Guid.NewGuid()}/suspend", new { }, Cancellation))
        {
            write.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }

        var refreshed = await IssuerClient.RefreshAsync(Api, tokens.RefreshToken!, Cancellation);
        using (var renewed = IssuerClient.Bearer(Api, refreshed!.AccessToken))
        {
            (await renewed.GetFromJsonAsync<MeResponse>(IdentityHttp.MeRoute, Cancellation))!.Role.ShouldBe(FleetRoles.Viewer);
        }

        (await admin.PatchAsJsonAsync(IdentityHttp.User(user.Id), new UserUpdateRequest(Disabled: true), Cancellation)).EnsureSuccessStatusCode();

        (await script.GetAsync(IdentityHttp.MeRoute, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await IssuerClient.RefreshAsync(Api, refreshed.RefreshToken!, Cancellation)).ShouldBeNull();
        var refused = await IssuerClient.TryPasswordAsync(Api, "demi", IssuerClient.PasswordOf("demi"), Cancellation);
        Message(refused.Body).ShouldContain("Sign-in failed");
    }

    [Fact]
    public async Task Actions_are_audited_under_the_caller_and_the_audit_filters_by_actor()
    {
        using var ines = await IssuerClient.SignedInClientAsync(Api, "ines", FleetRoles.Admin, Cancellation);
        using (var created = await ines.PostAsJsonAsync(IdentityHttp.UsersRoute, new UserCreateRequest("karl", IssuerClient.PasswordOf("karl"), FleetRoles.Viewer), Cancellation))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        var audit = await ines.GetFromJsonAsync<PagedList<AuditEntryResponse>>($"{RolloutHttp.AuditRoute}?actor=ines", Cancellation);

        audit!.Items.ShouldContain(e => e.Action == "user-create" && e.Actor == "ines" && e.Reason == "karl (viewer)");
        audit.Items.ShouldAllBe(e => e.Actor == "ines");

        // A time window in any offset is the same instant: an hour back given at +05:00 still holds the entry, a window
        // that ended an hour ago does not.
        var entry = audit.Items.First(e => e.Action == "user-create");
        var hourBefore = Uri.EscapeDataString(entry.At.AddHours(-1).ToOffset(TimeSpan.FromHours(5)).ToString("O"));
        var windowed = await ines.GetFromJsonAsync<PagedList<AuditEntryResponse>>($"{RolloutHttp.AuditRoute}?actor=ines&from={hourBefore}", Cancellation);
        windowed!.Items.ShouldContain(e => e.Id == entry.Id);
        var ended = await ines.GetFromJsonAsync<PagedList<AuditEntryResponse>>($"{RolloutHttp.AuditRoute}?actor=ines&to={hourBefore}", Cancellation);
        ended!.Items.ShouldNotContain(e => e.Id == entry.Id);
    }

    [Fact]
    public async Task Bad_account_requests_are_validation_problems_and_an_admin_cannot_disable_themselves()
    {
        using var admin = await IssuerClient.SignedInClientAsync(Api, "root2", FleetRoles.Admin, Cancellation);
        using (var weak = await admin.PostAsJsonAsync(IdentityHttp.UsersRoute, new UserCreateRequest("weakling", "short", FleetRoles.Viewer), Cancellation))
        {
            weak.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await weak.Content.ReadAsStringAsync(Cancellation)).ShouldContain("password");
        }

        using (var role = await admin.PostAsJsonAsync(IdentityHttp.UsersRoute, new UserCreateRequest("someone", IssuerClient.PasswordOf("someone"), "superuser"), Cancellation))
        {
            role.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        }

        var me = (await admin.GetFromJsonAsync<List<UserSummary>>(IdentityHttp.UsersRoute, Cancellation))!.Single(u => u.Name == "root2");
        using var self = await admin.PatchAsJsonAsync(IdentityHttp.User(me.Id), new UserUpdateRequest(Disabled: true), Cancellation);
        self.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    private static async Task<PersonalTokenCreated> CreateTokenAsync(HttpClient session, string name)
    {
        using var made = await session.PostAsJsonAsync(IdentityHttp.TokensRoute, new PersonalTokenRequest(name), Cancellation);
        made.EnsureSuccessStatusCode();
        return (await made.Content.ReadFromJsonAsync<PersonalTokenCreated>(Cancellation))!;
    }

    private static string Message(string page) =>
        System.Text.RegularExpressions.Regex.Match(page, "data-testid=\"login-error\">([^<]*)<").Groups[1].Value;

    /// <summary>An api that looks tokens up on every call (no cache) and locks accounts after three failures.</summary>
    public sealed class Fixture(BackingServers servers) : IAsyncLifetime
    {
        public const int MaxFailedSignIns = 3;

        public ApiFactory Api { get; private set; } = null!;

        public async ValueTask InitializeAsync() =>
            Api = await ApiFactory.StartAsync(servers, TestContext.Current.CancellationToken, new Dictionary<string, string?>
            {
                ["Fleet:Identity:PersonalTokenCacheTtl"] = "00:00:00",
                ["Fleet:Identity:MaxFailedSignIns"] = MaxFailedSignIns.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });

        public async ValueTask DisposeAsync() => await Api.DisposeAsync();
    }
}
