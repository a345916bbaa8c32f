using System.ComponentModel.DataAnnotations;
using Fleet.Contracts;

namespace Fleet.Web.Identity;

/// <summary>
/// How the web signs operators in (<c>Fleet:Identity</c>): Fleet.Api's own issuer by default; another OpenID Connect
/// provider by setting its authority, client id, secret, scopes and role claim, with no code change.
/// </summary>
public sealed class SignInOptions
{
    public const string Section = "Fleet:Identity";

    /// <summary>Service discovery's address of the api, the issuer when <c>Fleet:Identity:Authority</c> is not set.</summary>
    public const string ApiAddressKey = "services:api:http:0";

    [Required(ErrorMessage = $"is not set and neither is {ApiAddressKey}; the AppHost passes the api's address as Fleet__Identity__Authority.")]
    [Url(ErrorMessage = "must be an absolute http(s) address.")]
    public string Authority { get; set; } = "";

    [Required(ErrorMessage = "is not set.")]
    public string ClientId { get; set; } = IdentityHttp.WebClientId;

    [Required(ErrorMessage = "is not set; the AppHost passes the web's client secret as Fleet__Identity__ClientSecret.")]
    public string ClientSecret { get; set; } = "";

    /// <summary>The scopes asked for at sign-in, space separated; <c>offline_access</c> gives the refresh token the web renews with.</summary>
    [Required(ErrorMessage = "is not set.")]
    public string Scopes { get; set; } = $"openid profile offline_access roles {IdentityHttp.ApiScope}";

    /// <summary>The claim in the issuer's tokens that carries viewer, operator or admin.</summary>
    [Required(ErrorMessage = "is not set.")]
    public string RoleClaim { get; set; } = IdentityHttp.RoleClaim;

    public bool RequiresHttps => Authority.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
}
