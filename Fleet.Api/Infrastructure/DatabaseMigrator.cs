using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Fleet.Api.Infrastructure;

/// <summary>
/// Applies EF Core migrations at start, retrying while the database is not reachable yet; the API is not
/// ready (<c>/health</c>) until they are applied. With several replicas, PostgreSQL's migration lock
/// (EF Core 9+) lets one replica migrate while the others wait.
/// </summary>
public sealed partial class DatabaseMigrator(IServiceScopeFactory scopes, ILogger<DatabaseMigrator> logger) : BackgroundService
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);
    private readonly TaskCompletionSource _applied = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Applied => _applied.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var deadline = DateTime.UtcNow + GiveUpAfter;
        while (true)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var database = scope.ServiceProvider.GetRequiredService<FleetDbContext>().Database;
                await database.MigrateAsync(stoppingToken);
                LogApplied(logger);
                _applied.TrySetResult();
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException && DateTime.UtcNow < deadline && !stoppingToken.IsCancellationRequested)
            {
                LogRetrying(logger, exception.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, exception);
                _applied.TrySetException(exception);
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database migrations applied")]
    private static partial void LogApplied(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database not reachable yet, retrying migrations: {Reason}")]
    private static partial void LogRetrying(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Database migrations failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    /// <summary>Unhealthy until the schema is current, so nothing is routed to a replica that cannot serve.</summary>
    public sealed class ReadinessCheck(DatabaseMigrator migrator) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(migrator.Applied.Status switch
            {
                TaskStatus.RanToCompletion => HealthCheckResult.Healthy("schema is current"),
                TaskStatus.Faulted => HealthCheckResult.Unhealthy("migrations failed", migrator.Applied.Exception),
                _ => HealthCheckResult.Unhealthy("migrations not applied yet"),
            });
    }
}
