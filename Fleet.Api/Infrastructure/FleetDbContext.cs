using Fleet.Api.Alerts;
using Fleet.Api.Audit;
using Fleet.Api.Commands;
using Fleet.Api.Devices;
using Fleet.Api.Firmware;
using Fleet.Api.Rollouts;
using Fleet.Api.Status;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Fleet.Api.Infrastructure;

public sealed class FleetDbContext(DbContextOptions<FleetDbContext> options) : DbContext(options)
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

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(FleetDbContext).Assembly);
}

/// <summary>Lets `dotnet ef migrations add` build the model without a database or the app's configuration.</summary>
public sealed class FleetDbContextDesignTimeFactory : IDesignTimeDbContextFactory<FleetDbContext>
{
    public FleetDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<FleetDbContext>().UseNpgsql("Host=localhost;Database=fleetdb").UseSnakeCaseNamingConvention().Options);
}
