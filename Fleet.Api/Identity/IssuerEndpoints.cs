using System.Collections.Immutable;
using System.Security.Claims;
using Fleet.Contracts;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Fleet.Api.Identity;

/// <summary>
/// The parts of the OpenID Connect flow OpenIddict hands to us: who the user is at /connect/authorize (the sign-in
/// cookie, else the login page), re-checking the account on every code and refresh exchange at /connect/token (a
/// disabled user's session ends at its next refresh, a changed role applies from then), and sign-out.
/// </summary>
public static class IssuerEndpoints
{
    public static IEndpointRouteBuilder MapIssuerEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods(IdentityHttp.AuthorizePath, [HttpMethods.Get, HttpMethods.Post], AuthorizeAsync).ExcludeFromDescription().DisableAntiforgery();
        app.MapPost(IdentityHttp.TokenPath, ExchangeAsync).ExcludeFromDescription().DisableAntiforgery();
        app.MapMethods(IdentityHttp.EndSessionPath, [HttpMethods.Get, HttpMethods.Post], (Func<HttpContext, Task<IResult>>)EndSessionAsync).ExcludeFromDescription().DisableAntiforgery();
        return app;
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext http, UserManager<FleetUser> users)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var cookie = await http.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        var user = cookie.Succeeded ? await users.GetUserAsync(cookie.Principal) : null;
        if (user is null || user.Disabled || request.HasPromptValue(PromptValues.Login))
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Refuse(Errors.LoginRequired, "The user is not signed in.");
            }

            // Back here after the login page, with the same parameters.
            var query = http.Request.HasFormContentType
                ? QueryString.Create(http.Request.Form.Where(field => field.Key != Parameters.Prompt).Select(field => KeyValuePair.Create(field.Key, field.Value)))
                : QueryString.Create(http.Request.Query.Where(field => field.Key != Parameters.Prompt).Select(field => KeyValuePair.Create(field.Key, field.Value)));
            return Results.Challenge(new AuthenticationProperties { RedirectUri = http.Request.PathBase + http.Request.Path + query }, [IdentityConstants.ApplicationScheme]);
        }

        return await SignInAsync(users, user, request.GetScopes());
    }

    private static async Task<IResult> ExchangeAsync(HttpContext http, UserManager<FleetUser> users)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        if (!request.IsAuthorizationCodeGrantType() && !request.IsRefreshTokenGrantType())
        {
            return Refuse(Errors.UnsupportedGrantType, "Only authorization codes and refresh tokens are exchanged here.");
        }

        var granted = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var user = granted.Principal?.GetClaim(Claims.Subject) is { } subject ? await users.FindByIdAsync(subject) : null;
        if (user is null || user.Disabled)
        {
            return Refuse(Errors.InvalidGrant, "The account no longer exists or is disabled.");
        }

        return await SignInAsync(users, user, granted.Principal!.GetScopes());
    }

    private static async Task<IResult> EndSessionAsync(HttpContext http)
    {
        await http.SignOutAsync(IdentityConstants.ApplicationScheme);
        // OpenIddict sends the browser to the client's post_logout_redirect_uri when it is registered, else here.
        return Results.SignOut(new AuthenticationProperties { RedirectUri = IdentityHttp.LoginPath }, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    private static async Task<IResult> SignInAsync(UserManager<FleetUser> users, FleetUser user, ImmutableArray<string> scopes)
    {
        var role = (await users.GetRolesAsync(user)).FirstOrDefault(FleetRoles.IsKnown);
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.Id.ToString())
            .SetClaim(Claims.Name, user.UserName)
            .SetClaim(Claims.PreferredUsername, user.UserName);
        identity.SetScopes(scopes);
        if (scopes.Contains(IdentityHttp.ApiScope))
        {
            // The API is the token's audience: a service trusting this issuer (or the API trusting another) checks it.
            identity.SetResources(IdentityHttp.ApiScope);
            if (role is not null)
            {
                identity.SetClaim(Claims.Role, role);
            }
        }

        identity.SetDestinations(claim => claim.Type switch
        {
            Claims.Name or Claims.PreferredUsername or Claims.Role => [Destinations.AccessToken, Destinations.IdentityToken],
            _ => [Destinations.AccessToken],
        });
        return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static IResult Refuse(string error, string description) =>
        Results.Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }),
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
