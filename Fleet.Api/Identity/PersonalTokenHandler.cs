using System.Security.Claims;
using System.Text.Encodings.Web;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Fleet.ServiceDefaults;

namespace Fleet.Api.Identity;

/// <summary>
/// Authenticates personal access tokens and, where enabled, the break-glass token; and answers every operator
/// challenge (401) and refusal (403) with a problem, whichever scheme authenticated.
/// </summary>
public sealed class PersonalTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    PersonalTokens tokens,
    IOptions<FleetOptions> fleet,
    IOptions<IssuerSettings> issuer,
    IHostEnvironment environment,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string FailureItem = "fleet.auth.failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var credential = AuthorizationHeader.Credential(Request, FleetHttp.OperatorAuthScheme);
        if (credential is null)
        {
            return AuthenticateResult.NoResult();
        }

        if (credential.StartsWith(IdentityHttp.PersonalTokenPrefix, StringComparison.Ordinal))
        {
            var grant = await tokens.ResolveAsync(credential, Context.RequestAborted);
            if (grant is null)
            {
                return Fail("The personal access token is unknown, expired or revoked, or its owner is disabled.");
            }

            return Success(grant.UserId.ToString(), grant.UserName, grant.Role, FleetAuth.TokenMethod, new Claim(FleetAuth.TokenIdClaim, grant.TokenId.ToString()));
        }

        if (issuer.Value.BreakGlassEnabled(environment) && fleet.Value.OperatorToken.Length > 0 && SecretComparer.Matches(credential, fleet.Value.OperatorToken))
        {
            return Success(FleetAuth.BreakGlassActor, FleetAuth.BreakGlassActor, FleetRoles.Admin, FleetAuth.BreakGlassMethod);
        }

        return Fail("The bearer token is not a token this API issued.");
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var detail = Context.Items[FailureItem] as string
            ?? (AuthorizationHeader.Credential(Request, FleetHttp.OperatorAuthScheme) is null
                ? "Sign in, or send Authorization: Bearer <access token or personal access token>."
                : "The access token is invalid or has expired; sign in again.");
        Response.Headers.WWWAuthenticate = "Bearer";
        await WriteAsync(StatusCodes.Status401Unauthorized, "Authentication required", detail);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteAsync(StatusCodes.Status403Forbidden, "Not allowed for your role",
            $"This needs a stronger role than '{Context.User.Role() ?? "none"}'; ask an admin.");

    private AuthenticateResult Fail(string why)
    {
        Context.Items[FailureItem] = why;
        return AuthenticateResult.Fail(why);
    }

    private AuthenticateResult Success(string subject, string name, string role, string method, params Claim[] extra)
    {
        var identity = new ClaimsIdentity(
            [
                new Claim(OpenIddict.Abstractions.OpenIddictConstants.Claims.Subject, subject),
                new Claim(IdentityHttp.NameClaim, name),
                new Claim(IdentityHttp.RoleClaim, role),
                new Claim(FleetAuth.MethodClaim, method),
                .. extra,
            ],
            Scheme.Name, IdentityHttp.NameClaim, IdentityHttp.RoleClaim);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    private async Task WriteAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}
