using Fleet.Api.Alerts;
using Fleet.Api.Devices;
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

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(FleetDbContext).Assembly);
}

/// <summary>Lets `dotnet ef migrations add` build the model without a database or the app's configuration.</summary>
public sealed class FleetDbContextDesignTimeFactory : IDesignTimeDbContextFactory<FleetDbContext>
{
    public FleetDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<FleetDbContext>().UseNpgsql("Host=localhost;Database=fleetdb").UseSnakeCaseNamingConvention().Options);
}
