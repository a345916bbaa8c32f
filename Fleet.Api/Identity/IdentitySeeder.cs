using Fleet.Contracts;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Fleet.Api.Identity;

/// <summary>
/// After migrations: the three roles, the first admin (its password is the configured one at every start, so the
/// AppHost's parameter always lets you in), and the web's client registration (its redirect URIs follow the web's address).
/// Idempotent. The migrations job and every api replica seed at start, one at a time under a PostgreSQL advisory
/// lock: two replicas updating the web's client at once made one fail with a concurrency error and exit.
/// </summary>
public static partial class IdentitySeeder
{
    /// <summary>The advisory lock key the seeders take turns on ("FleetIdS").</summary>
    private const long SeedLock = 0x466C656574496453;

    public static async Task SeedAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Infrastructure.FleetDbContext>();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({SeedLock})", cancellationToken);
            await SeedOnceAsync(scope.ServiceProvider, cancellationToken);
        }
        finally
        {
            // Closing the session would release it too; unlocking at once lets the next replica go without waiting for the pool.
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({SeedLock})", CancellationToken.None);
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task SeedOnceAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        // Read, not validated: the migrations job needs the database and these three values only, not the signing key.
        var settings = services.GetRequiredService<IConfiguration>().GetSection(IssuerSettings.Section).Get<IssuerSettings>() ?? new IssuerSettings();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(IdentitySeeder));
        var roles = services.GetRequiredService<RoleManager<FleetRole>>();
        foreach (var role in FleetRoles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                Check(await roles.CreateAsync(new FleetRole(role)), $"create role {role}");
            }
        }

        if (!string.IsNullOrEmpty(settings.AdminPassword))
        {
            await SeedAdminAsync(services.GetRequiredService<UserManager<FleetUser>>(), settings.AdminPassword, services.GetRequiredService<TimeProvider>(), logger);
        }

        if (!string.IsNullOrEmpty(settings.ClientSecret))
        {
            await RegisterWebAsync(services.GetRequiredService<IOpenIddictApplicationManager>(), settings, cancellationToken);
        }
    }

    private static async Task SeedAdminAsync(UserManager<FleetUser> users, string password, TimeProvider clock, ILogger logger)
    {
        var admin = await users.FindByNameAsync(IssuerSettings.AdminUserName);
        if (admin is null)
        {
            admin = new FleetUser { UserName = IssuerSettings.AdminUserName, CreatedAt = clock.GetUtcNow() };
            Check(await users.CreateAsync(admin, password), "create the first admin");
            Check(await users.AddToRoleAsync(admin, FleetRoles.Admin), "make the first admin an admin");
            LogAdminCreated(logger, IssuerSettings.AdminUserName);
            return;
        }

        if (!await users.CheckPasswordAsync(admin, password))
        {
            Check(await users.RemovePasswordAsync(admin), "reset the admin's password");
            Check(await users.AddPasswordAsync(admin, password), "set the admin's password");
            LogAdminPasswordSet(logger, IssuerSettings.AdminUserName);
        }
    }

    private static async Task RegisterWebAsync(IOpenIddictApplicationManager applications, IssuerSettings settings, CancellationToken cancellationToken)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = IdentityHttp.WebClientId,
            ClientSecret = settings.ClientSecret,
            ClientType = ClientTypes.Confidential,
            ConsentType = ConsentTypes.Implicit,
            DisplayName = "Fleet web",
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.Endpoints.EndSession,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.GrantTypes.RefreshToken,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile,
                Permissions.Scopes.Roles,
                Permissions.Prefixes.Scope + IdentityHttp.ApiScope,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (var web in settings.WebUrls())
        {
            descriptor.RedirectUris.Add(new Uri($"{web}/signin-oidc"));
            descriptor.PostLogoutRedirectUris.Add(new Uri($"{web}/signout-callback-oidc"));
        }

        if (await applications.FindByClientIdAsync(IdentityHttp.WebClientId, cancellationToken) is { } existing)
        {
            await applications.UpdateAsync(existing, descriptor, cancellationToken);
        }
        else
        {
            await applications.CreateAsync(descriptor, cancellationToken);
        }
    }

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not {what}: {string.Join(" ", result.Errors.Select(e => e.Description))}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the first admin, user {User}; its password is Fleet:Identity:AdminPassword (the AppHost's admin-password parameter)")]
    private static partial void LogAdminCreated(ILogger logger, string user);

    [LoggerMessage(Level = LogLevel.Information, Message = "Set user {User}'s password to Fleet:Identity:AdminPassword")]
    private static partial void LogAdminPasswordSet(ILogger logger, string user);
}
