using Fleet.Api.Alerts;
using Fleet.Api.Audit;
using Fleet.Api.Commands;
using Fleet.Api.Devices;
using Fleet.Api.Firmware;
using Fleet.Api.Identity;
using Fleet.Api.Rollouts;
using Fleet.Api.Status;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Fleet.Api.Infrastructure;

/// <summary>The fleet's system of record; it also holds ASP.NET Core Identity's users and roles and OpenIddict's clients and tokens.</summary>
public sealed class FleetDbContext(DbContextOptions<FleetDbContext> options) : IdentityDbContext<FleetUser, FleetRole, Guid>(options)
{
    public DbSet<Device> Devices => Set<Device>();

    public DbSet<DeviceCredential> DeviceCredentials => Set<DeviceCredential>();

    public DbSet<DeviceEvent> DeviceEvents => Set<DeviceEvent>();

    public DbSet<AlertRule> AlertRules => Set<AlertRule>();

    public DbSet<Alert> Alerts => Set<Alert>();

    public DbSet<AlertTransition> AlertTransitions => Set<AlertTransition>();
    public DbSet<FirmwareRelease> FirmwareReleases => Set<FirmwareRelease>();

    public DbSet<FirmwareArtefact> FirmwareArtefacts => Set<FirmwareArtefact>();

    public DbSet<Rollout> Rollouts => Set<Rollout>();

    public DbSet<RolloutDevice> RolloutDevices => Set<RolloutDevice>();

    public DbSet<GateEvaluation> GateEvaluations => Set<GateEvaluation>();

    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    public DbSet<Command> Commands => Set<Command>();

    public DbSet<CommandDelivery> CommandDeliveries => Set<CommandDelivery>();

    public DbSet<CommandTransition> CommandTransitions => Set<CommandTransition>();

    public DbSet<PersonalAccessToken> PersonalAccessTokens => Set<PersonalAccessToken>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(FleetDbContext).Assembly);
        builder.UseOpenIddict<Guid>();
        IdentityTables.Name(builder);
    }
}

/// <summary>Lets `dotnet ef migrations add` build the model without a database or the app's configuration.</summary>
public sealed class FleetDbContextDesignTimeFactory : IDesignTimeDbContextFactory<FleetDbContext>
{
    public FleetDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<FleetDbContext>().UseNpgsql("Host=localhost;Database=fleetdb").UseSnakeCaseNamingConvention().Options);
}
