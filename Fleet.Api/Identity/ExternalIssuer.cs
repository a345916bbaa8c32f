using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Fleet.Contracts;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Fleet.Api.Identity;

/// <summary>
/// <c>Fleet:Identity:External</c>: another OpenID Connect provider whose access tokens the API accepts beside its own
/// issuer's, for a web that signs people in there (the web's <c>Fleet:Identity:Authority</c>). Standard JWT bearer
/// validation against the provider's discovery document: its issuer, signing keys, lifetime and audience. The
/// provider's role claim must carry viewer, operator or admin; its name claim names the caller in the audit.
/// </summary>
public sealed class ExternalIssuerSettings
{
    public const string Section = "Fleet:Identity:External";
    public const string Scheme = "External";

    /// <summary>The provider's issuer address; unset, the API accepts only its own issuer's tokens.</summary>
    [Url(ErrorMessage = "must be an absolute http(s) address.")]
    public string? Authority { get; set; }

    /// <summary>The audience the provider puts in access tokens meant for the API.</summary>
    [Required(ErrorMessage = "is not set.")]
    public string Audience { get; set; } = IdentityHttp.ApiScope;

    [Required(ErrorMessage = "is not set.")]
    public string RoleClaim { get; set; } = IdentityHttp.RoleClaim;

    [Required(ErrorMessage = "is not set.")]
    public string NameClaim { get; set; } = "preferred_username";

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    /// <summary>Whether a bearer JWT names this provider as its issuer (read, not yet validated: the scheme validates it).</summary>
    public bool Issued(string credential)
    {
        if (!Enabled)
        {
            return false;
        }

        try
        {
            return string.Equals(new JsonWebToken(credential).Issuer.TrimEnd('/'), Authority!.TrimEnd('/'), StringComparison.Ordinal);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

public static class ExternalIssuer
{
    /// <summary>The external provider's scheme, when configured; its tokens become Fleet's claims (role, name, how).</summary>
    public static void AddExternalIssuer(this Microsoft.AspNetCore.Authentication.AuthenticationBuilder authentication,
        ExternalIssuerSettings settings, bool requireHttps)
    {
        if (!settings.Enabled)
        {
            return;
        }

        authentication.AddJwtBearer(ExternalIssuerSettings.Scheme, bearer =>
        {
            bearer.Authority = settings.Authority;
            bearer.Audience = settings.Audience;
            bearer.RequireHttpsMetadata = requireHttps;
            bearer.MapInboundClaims = false;
            bearer.TokenValidationParameters.NameClaimType = settings.NameClaim;
            bearer.TokenValidationParameters.RoleClaimType = settings.RoleClaim;
            bearer.Events = new JwtBearerEvents { OnTokenValidated = context => Translate(context, settings) };
        });
    }

    /// <summary>Fleet's own claims from the provider's: the strongest Fleet role it names, and the caller's name.</summary>
    private static Task Translate(TokenValidatedContext context, ExternalIssuerSettings settings)
    {
        var principal = context.Principal!;
        var role = principal.FindAll(settings.RoleClaim).Select(claim => claim.Value).Where(FleetRoles.IsKnown)
            .OrderByDescending(FleetRoles.Rank).FirstOrDefault();
        var name = principal.FindFirst(settings.NameClaim)?.Value ?? principal.FindFirst("sub")?.Value;
        if (role is null || string.IsNullOrWhiteSpace(name))
        {
            context.Fail($"The provider's token carries no Fleet role in '{settings.RoleClaim}' or no name in '{settings.NameClaim}'.");
            return Task.CompletedTask;
        }

        var claims = new List<Claim>
        {
            new(IdentityHttp.NameClaim, name),
            new(IdentityHttp.RoleClaim, role),
            new(FleetAuth.MethodClaim, FleetAuth.ExternalMethod),
        };
        context.Principal = new ClaimsPrincipal(new ClaimsIdentity(claims, ExternalIssuerSettings.Scheme, IdentityHttp.NameClaim, IdentityHttp.RoleClaim));
        return Task.CompletedTask;
    }
}
