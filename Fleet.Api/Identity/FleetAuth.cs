using System.Security.Claims;
using Fleet.Contracts;
using OpenIddict.Validation.AspNetCore;
using Fleet.ServiceDefaults;

namespace Fleet.Api.Identity;

/// <summary>
/// How operator requests are authenticated. One policy scheme looks at the bearer credential: a personal access token
/// (<c>fleet_pat_…</c>) or the break-glass token goes to <see cref="PersonalTokenHandler"/>, a JWT from the configured
/// external provider to its JWT bearer scheme, anything else (a JWT from the api's issuer) to OpenIddict's validation. Challenges and refusals are always RFC 7807 problems from the token handler.
/// </summary>
public static class FleetAuth
{
    public const string Scheme = "Fleet";
    public const string TokenScheme = "FleetToken";

    /// <summary>How the caller authenticated (<see cref="MeResponse.AuthenticatedBy"/>).</summary>
    public const string MethodClaim = "fleet_auth";
    public const string SessionMethod = "session";
    public const string TokenMethod = "token";
    public const string BreakGlassMethod = "break-glass";
    public const string ExternalMethod = "external";
    public const string BreakGlassActor = "break-glass";

    public const string TokenIdClaim = "fleet_token_id";

    public static string SelectScheme(HttpContext http, ExternalIssuerSettings external)
    {
        var credential = AuthorizationHeader.Credential(http.Request, FleetHttp.OperatorAuthScheme);
        // JWTs have dots; personal tokens, the break-glass token and garbage do not.
        if (credential is not null && !credential.Contains('.', StringComparison.Ordinal))
        {
            return TokenScheme;
        }

        return credential is not null && external.Issued(credential)
            ? ExternalIssuerSettings.Scheme
            : OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme;
    }

    public static string? Role(this ClaimsPrincipal user) => user.FindFirst(IdentityHttp.RoleClaim)?.Value;

    public static string? Name(this ClaimsPrincipal user) => user.FindFirst(IdentityHttp.NameClaim)?.Value;

    public static string Method(this ClaimsPrincipal user) => user.FindFirst(MethodClaim)?.Value ?? SessionMethod;

    public static Guid? UserId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirst(OpenIddict.Abstractions.OpenIddictConstants.Claims.Subject)?.Value, out var id) ? id : null;
}

/// <summary>The three roles as authorization policies: each admits its role and the stronger ones.</summary>
public static class FleetPolicies
{
    public const string Viewer = FleetRoles.Viewer;
    public const string Operator = FleetRoles.Operator;
    public const string Admin = FleetRoles.Admin;

    public static void Add(Microsoft.AspNetCore.Authorization.AuthorizationBuilder authorization)
    {
        foreach (var role in FleetRoles.All)
        {
            var allowed = FleetRoles.All.Where(candidate => FleetRoles.Allows(candidate, role)).ToArray();
            authorization.AddPolicy(role, policy => policy
                .AddAuthenticationSchemes(FleetAuth.Scheme)
                .RequireAuthenticatedUser()
                .RequireClaim(IdentityHttp.RoleClaim, allowed));
        }
    }

    /// <summary>The route needs <paramref name="role"/> or a stronger one; the OpenAPI document says so (x-fleet-role).</summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, string role)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(role)
            .WithMetadata(new FleetRoleMetadata(role))
            .WithMetadata(new ProducesProblemMetadata(StatusCodes.Status401Unauthorized))
            .WithMetadata(new ProducesProblemMetadata(StatusCodes.Status403Forbidden));
}

/// <summary>The weakest role a route admits, for the OpenAPI document and the role matrix test.</summary>
public sealed record FleetRoleMetadata(string Role);

internal sealed class ProducesProblemMetadata(int statusCode) : Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata
{
    public Type? Type => typeof(Microsoft.AspNetCore.Mvc.ProblemDetails);

    public int StatusCode => statusCode;

    public string? Description => null;

    public IEnumerable<string> ContentTypes => ["application/problem+json"];
}
