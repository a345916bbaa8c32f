using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OpenIddict.EntityFrameworkCore.Models;

namespace Fleet.Api.Identity;

/// <summary>An operator who signs in: ASP.NET Core Identity keeps the password hash, lockout and role.</summary>
public sealed class FleetUser : IdentityUser<Guid>
{
    public const int NameLength = 64;

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>A disabled account cannot sign in, refresh its session or use its personal tokens.</summary>
    public bool Disabled { get; set; }
}

public sealed class FleetRole : IdentityRole<Guid>
{
    public FleetRole()
    {
    }

    public FleetRole(string name)
        : base(name)
    {
    }
}

internal sealed class FleetUserConfiguration : IEntityTypeConfiguration<FleetUser>
{
    public void Configure(EntityTypeBuilder<FleetUser> user) => user.ToTable("users");
}

internal sealed class FleetRoleConfiguration : IEntityTypeConfiguration<FleetRole>
{
    public void Configure(EntityTypeBuilder<FleetRole> role) => role.ToTable("roles");
}

/// <summary>Identity's and OpenIddict's other tables, named like the rest of the schema.</summary>
internal static class IdentityTables
{
    public static void Name(ModelBuilder model)
    {
        model.Entity<IdentityUserRole<Guid>>().ToTable("user_roles");
        model.Entity<IdentityUserClaim<Guid>>().ToTable("user_claims");
        model.Entity<IdentityUserLogin<Guid>>().ToTable("user_logins");
        model.Entity<IdentityUserToken<Guid>>().ToTable("user_tokens");
        model.Entity<IdentityRoleClaim<Guid>>().ToTable("role_claims");
        model.Entity<OpenIddictEntityFrameworkCoreApplication<Guid>>().ToTable("oidc_applications");
        model.Entity<OpenIddictEntityFrameworkCoreAuthorization<Guid>>().ToTable("oidc_authorizations");
        model.Entity<OpenIddictEntityFrameworkCoreScope<Guid>>().ToTable("oidc_scopes");
        model.Entity<OpenIddictEntityFrameworkCoreToken<Guid>>().ToTable("oidc_tokens");
    }
}
