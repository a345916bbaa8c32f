using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Fleet.Api.Identity;

public static class IdentityExtensions
{
    /// <summary>
    /// Users and roles (ASP.NET Core Identity on PostgreSQL), the OpenID Connect issuer for the web (OpenIddict, authorization
    /// code + PKCE, refresh tokens), and how operator requests authenticate: access tokens, personal tokens, break-glass.
    /// </summary>
    public static IHostApplicationBuilder AddFleetIdentity(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(IssuerSettings.Section);
        var settings = section.Get<IssuerSettings>() ?? new IssuerSettings();
        builder.Services.AddOptions<IssuerSettings>().Bind(section).ValidateDataAnnotations()
            .Validate(s => s.SigningKey is null ? builder.Environment.IsDevelopment() : IssuerKeys.TryRead(s.SigningKey),
                "Fleet:Identity:SigningKey must be an RSA private key of 2048 bits or more (PKCS#8: PEM, or its DER bytes in base64); it may be left out in Development only.")
            .Validate(s => s.WebUrls().All(url => Uri.TryCreate(url, UriKind.Absolute, out _)), "Fleet:Identity:WebUrl holds absolute URLs separated by ';'.")
            .ValidateOnStart();

        builder.Services.AddIdentityCore<FleetUser>(identity =>
            {
                identity.Password.RequiredLength = 12;
                identity.Password.RequireNonAlphanumeric = false;
                identity.Password.RequireUppercase = false;
                identity.Password.RequireLowercase = false;
                identity.Password.RequireDigit = false;
                identity.Lockout.AllowedForNewUsers = true;
                identity.Lockout.MaxFailedAccessAttempts = settings.MaxFailedSignIns;
                identity.Lockout.DefaultLockoutTimeSpan = settings.LockoutDuration;
                identity.User.AllowedUserNameCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._@+";
            })
            .AddRoles<FleetRole>()
            .AddEntityFrameworkStores<FleetDbContext>()
            .AddSignInManager();

        // Keys for the issuer's sign-in cookie and the login form's antiforgery token, shared by every replica.
        builder.Services.AddDataProtection().SetApplicationName("Fleet.Api");
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer>((keys, redis) =>
            keys.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), "fleet:api:dataprotection"));
        builder.Services.AddAntiforgery();

        var externalSection = builder.Configuration.GetSection(ExternalIssuerSettings.Section);
        var external = externalSection.Get<ExternalIssuerSettings>() ?? new ExternalIssuerSettings();
        builder.Services.AddOptions<ExternalIssuerSettings>().Bind(externalSection).ValidateDataAnnotations().ValidateOnStart();

        var authentication = builder.Services.AddAuthentication(FleetAuth.Scheme);
        authentication.AddExternalIssuer(external, settings.HttpsRequired(builder.Environment));
        authentication
            .AddPolicyScheme(FleetAuth.Scheme, "Operator credentials", scheme =>
            {
                scheme.ForwardDefaultSelector = http => FleetAuth.SelectScheme(http, external);
                scheme.ForwardChallenge = FleetAuth.TokenScheme;
                scheme.ForwardForbid = FleetAuth.TokenScheme;
            })
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, PersonalTokenHandler>(FleetAuth.TokenScheme, null)
            .AddCookie(IdentityConstants.ApplicationScheme, cookie =>
            {
                cookie.LoginPath = IdentityHttp.LoginPath;
                cookie.Cookie.Name = "fleet.issuer";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = settings.RefreshTokenLifetime;
                cookie.SlidingExpiration = true;
                // The stamp changes when an admin disables the user: their cookie here stops working.
                cookie.Events.OnValidatePrincipal = SecurityStampValidator.ValidatePrincipalAsync;
            });
        builder.Services.Configure<SecurityStampValidatorOptions>(stamp => stamp.ValidationInterval = TimeSpan.FromMinutes(1));
        FleetPolicies.Add(builder.Services.AddAuthorizationBuilder());

        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<FleetDbContext>().ReplaceDefaultEntities<Guid>())
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris(IdentityHttp.AuthorizePath.TrimStart('/'))
                    .SetTokenEndpointUris(IdentityHttp.TokenPath.TrimStart('/'))
                    .SetEndSessionEndpointUris(IdentityHttp.EndSessionPath.TrimStart('/'));
                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange().AllowRefreshTokenFlow();
                server.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Roles, Scopes.OfflineAccess, IdentityHttp.ApiScope);
                server.SetAccessTokenLifetime(settings.AccessTokenLifetime).SetRefreshTokenLifetime(settings.RefreshTokenLifetime);
                // Plain signed JWTs: any replica (or another service) validates them with the published key.
                server.DisableAccessTokenEncryption();
                if (settings.SigningKey is { } pem && IssuerKeys.TryRead(pem))
                {
                    server.AddSigningKey(IssuerKeys.SigningKey(pem)).AddEncryptionKey(IssuerKeys.EncryptionKey(pem));
                }
                else
                {
                    // Development without the AppHost's key: fine for one process; tokens die with it.
                    server.AddEphemeralSigningKey().AddEphemeralEncryptionKey();
                }

                var aspNetCore = server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough();
                if (!settings.HttpsRequired(builder.Environment))
                {
                    aspNetCore.DisableTransportSecurityRequirement();
                }
            })
            .AddValidation(validation =>
            {
                validation.UseLocalServer();
                validation.UseAspNetCore();
            });

        builder.Services.AddSingleton<PersonalTokens>();
        return builder;
    }

    public static IEndpointRouteBuilder MapIdentity(this IEndpointRouteBuilder app)
    {
        app.MapLoginPage();
        app.MapIssuerEndpoints();
        app.MapTokensApi();
        app.MapUsersApi();
        return app;
    }
}
