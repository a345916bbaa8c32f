namespace Fleet.Contracts;

/// <summary>
/// Operators' roles, weakest first: a viewer reads everything; an operator also runs rollouts, sends commands, handles
/// alerts and suspends or activates devices; an admin also manages users, firmware, alert rules and retires devices.
/// </summary>
public static class FleetRoles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Viewer, Operator, Admin];

    /// <summary>0 for viewer, 1 operator, 2 admin; -1 for anything else.</summary>
    public static int Rank(string? role) => role switch
    {
        Viewer => 0,
        Operator => 1,
        Admin => 2,
        _ => -1,
    };

    public static bool IsKnown(string? role) => Rank(role) >= 0;

    /// <summary>Whether <paramref name="role"/> may do what <paramref name="required"/> may.</summary>
    public static bool Allows(string? role, string required) => Rank(role) >= Rank(required) && Rank(required) >= 0;

    /// <summary>The weaker of two roles (a token never acts above its owner).</summary>
    public static string Weaker(string a, string b) => Rank(a) <= Rank(b) ? a : b;
}

/// <summary>The identity endpoints: Fleet.Api is the OpenID Connect issuer the web signs in with.</summary>
public static class IdentityHttp
{
    public const string MeRoute = "/api/v1/me";
    public const string TokensRoute = "/api/v1/me/tokens";
    public const string UsersRoute = "/api/v1/users";

    public const string LoginPath = "/account/login";
    public const string LogoutPath = "/account/logout";
    public const string AuthorizePath = "/connect/authorize";
    public const string TokenPath = "/connect/token";
    public const string EndSessionPath = "/connect/logout";

    /// <summary>The operators' UI as an OpenID Connect client of the API (authorization code + PKCE, confidential).</summary>
    public const string WebClientId = "fleet-web";

    /// <summary>The scope an access token needs for the operator API.</summary>
    public const string ApiScope = "fleet_api";

    /// <summary>The claim that carries the role, in the API's tokens and in the web's cookie.</summary>
    public const string RoleClaim = "role";

    public const string NameClaim = "name";

    /// <summary>Personal access tokens start with this, so the API (and secret scanners) can tell them from JWTs.</summary>
    public const string PersonalTokenPrefix = "fleet_pat_";

    public static string Token(Guid id) => $"{TokensRoute}/{id}";

    public static string User(Guid id) => $"{UsersRoute}/{id}";
}

/// <summary>Who the API sees: a signed-in user, a personal token's owner, or the break-glass token.</summary>
/// <param name="AuthenticatedBy"><c>session</c> (an access token from sign-in), <c>token</c> (a personal access token),
/// <c>external</c> (another OpenID Connect provider's access token) or <c>break-glass</c>.</param>
public sealed record MeResponse(string Name, string Role, string AuthenticatedBy);

/// <param name="Role">At most the owner's role; the owner's role when omitted.</param>
/// <param name="ExpiresInDays">1..365; 30 when omitted.</param>
public sealed record PersonalTokenRequest(string Name, string? Role = null, int? ExpiresInDays = null);

/// <summary>A new personal access token: <see cref="Token"/> is shown this once and stored only as a hash.</summary>
public sealed record PersonalTokenCreated(Guid Id, string Name, string Role, DateTimeOffset ExpiresAt, string Token);

public sealed record PersonalTokenSummary(
    Guid Id, string Name, string Role, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

public sealed record UserSummary(Guid Id, string Name, string Role, bool Disabled, DateTimeOffset? LockedOutUntil);

public sealed record UserCreateRequest(string Name, string Password, string Role);

/// <summary>Change a user's role, or disable (and enable) the account; fields left null stay as they are.</summary>
public sealed record UserUpdateRequest(string? Role = null, bool? Disabled = null);
