using System.Security.Claims;
using Fleet.Contracts;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using StackExchange.Redis;

namespace Fleet.Web.Identity;

public static class SignInExtensions
{
    /// <summary>How long a signed-in session lasts without use (the issuer's refresh tokens last as long).</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(8);

    private const string DataProtectionKey = "fleet:web:dataprotection";

    /// <summary>
    /// Operators sign in at the OpenID Connect issuer (authorization code + PKCE); the web keeps the session in Redis
    /// behind a cookie and calls the API with the operator's own access token.
    /// </summary>
    public static IHostApplicationBuilder AddFleetSignIn(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SignInOptions>()
            .BindConfiguration(SignInOptions.Section)
            .Configure<IConfiguration>((options, configuration) =>
            {
                if (string.IsNullOrEmpty(options.Authority))
                {
                    options.Authority = configuration[SignInOptions.ApiAddressKey] ?? "";
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Every replica reads the others' cookies and sessions: one key ring, in Redis.
        builder.Services.AddDataProtection().SetApplicationName("Fleet.Web");
        builder.Services.AddOptions<KeyManagementOptions>()
            .Configure<IConnectionMultiplexer>((options, redis) => options.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), DataProtectionKey));

        builder.Services.AddSingleton<RedisTicketStore>();
        builder.Services.AddSingleton<SessionTokens>();
        builder.Services.AddScoped<OperatorSession>();
        builder.Services.AddSingleton<CircuitServicesAccessor>();
        builder.Services.AddTransient<UserAccessTokenHandler>();

        builder.Services.AddAuthentication(options =>
            {
                options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                options.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            .AddCookie(options =>
            {
                options.Cookie.Name = "fleet.web.session";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.ExpireTimeSpan = SessionLifetime;
                options.SlidingExpiration = true;
            })
            .AddOpenIdConnect();
        builder.Services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<RedisTicketStore>((options, store) => options.SessionStore = store);
        builder.Services.AddOptions<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme)
            .Configure<IOptions<SignInOptions>>((options, signIn) => Configure(options, signIn.Value));

        builder.Services.AddAuthorization();
        builder.Services.AddCascadingAuthenticationState();
        return builder;
    }

    private static void Configure(OpenIdConnectOptions options, SignInOptions signIn)
    {
        options.Authority = signIn.Authority;
        options.RequireHttpsMetadata = signIn.RequiresHttps;
        options.ClientId = signIn.ClientId;
        options.ClientSecret = signIn.ClientSecret;
        options.ResponseType = OpenIdConnectResponseType.Code;
        // The code comes back on a top-level GET redirect, which carries the Lax correlation cookies over plain http too.
        options.ResponseMode = OpenIdConnectResponseMode.Query;
        options.CorrelationCookie.SameSite = SameSiteMode.Lax;
        options.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.NonceCookie.SameSite = SameSiteMode.Lax;
        options.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.UsePkce = true;
        options.SaveTokens = true;
        options.MapInboundClaims = false;
        options.GetClaimsFromUserInfoEndpoint = false;
        options.Scope.Clear();
        foreach (var scope in signIn.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            options.Scope.Add(scope);
        }

        options.TokenValidationParameters.NameClaimType = IdentityHttp.NameClaim;
        options.TokenValidationParameters.RoleClaimType = signIn.RoleClaim;
        // The session lives as long as the cookie slides, not as long as the first access token.
        options.UseTokenLifetime = false;
    }

    /// <summary><c>POST /account/logout</c> (with the antiforgery token): ends the web's session and the issuer's, then returns to the web.</summary>
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(IdentityHttp.LogoutPath, async (HttpContext context, IAntiforgery antiforgery) =>
            await antiforgery.IsRequestValidAsync(context)
                ? Results.SignOut(new AuthenticationProperties { RedirectUri = "/" },
                    [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme])
                : Results.BadRequest())
            .RequireAuthorization();
        return app;
    }

    /// <summary>The user's role as the UI shows it (the first role claim), or null when the issuer gave none.</summary>
    public static string? RoleOf(ClaimsPrincipal user) =>
        user.Identity is ClaimsIdentity identity ? identity.FindFirst(identity.RoleClaimType)?.Value : null;
}
