using System.ComponentModel.DataAnnotations;

namespace Fleet.Api.Identity;

/// <summary>
/// <c>Fleet:Identity</c>: the api as OpenID Connect issuer (OpenIddict) over ASP.NET Core Identity's users.
/// The AppHost generates the secrets (admin password, the web's client secret, the signing key) as parameters.
/// </summary>
public sealed class IssuerSettings
{
    public const string Section = "Fleet:Identity";

    /// <summary>The first admin's password (user <see cref="AdminUserName"/>); each start sets it, so the parameter stays the way in.</summary>
    public string? AdminPassword { get; set; }

    /// <summary>The web's client secret; without it the <c>fleet-web</c> client is not registered.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The web's public address(es), separated by ';', for the redirect URIs <c>fleet-web</c> may use.</summary>
    public string? WebUrl { get; set; }

    /// <summary>The issuer's RSA private key (PKCS#8: PEM, or DER in base64). Required outside Development; there, a key per process is made up when absent (the AppHost always passes one).</summary>
    public string? SigningKey { get; set; }

    /// <summary>Accept <c>Fleet:OperatorToken</c> as a break-glass admin credential; default: in Development only.</summary>
    public bool? BreakGlass { get; set; }

    /// <summary>Demand HTTPS on the issuer's endpoints; default: outside Development.</summary>
    public bool? RequireHttps { get; set; }

    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    [Range(typeof(TimeSpan), "00:05:00", "30.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How long a replica trusts a personal token it has looked up; a revocation elsewhere takes up to this long here.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan PersonalTokenCacheTtl { get; set; } = TimeSpan.FromSeconds(15);

    [Range(1, 100)]
    public int MaxFailedSignIns { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    public const string AdminUserName = "admin";

    public bool BreakGlassEnabled(IHostEnvironment environment) => BreakGlass ?? environment.IsDevelopment();

    public bool HttpsRequired(IHostEnvironment environment) => RequireHttps ?? !environment.IsDevelopment();

    public IEnumerable<string> WebUrls() =>
        (WebUrl ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(url => url.TrimEnd('/'));
}
