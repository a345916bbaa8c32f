using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Fleet.Api.Infrastructure;

/// <summary>
/// Applies EF Core migrations at start, retrying while the database is not reachable yet (up to
/// <see cref="FleetOptions.MigrationTimeout"/>, then the API exits with code 1); the API is not ready
/// (<c>/health</c>) until they are applied. With several replicas, PostgreSQL's migration lock (EF Core 9+)
/// lets one replica migrate while the others wait.
/// </summary>
public sealed partial class DatabaseMigrator(
    IServiceScopeFactory scopes,
    IOptions<FleetOptions> options,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<DatabaseMigrator> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private readonly TaskCompletionSource _applied = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Applied => _applied.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = clock.GetTimestamp();
        var attempt = 0;
        while (true)
        {
            attempt++;
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var database = scope.ServiceProvider.GetRequiredService<FleetDbContext>().Database;
                await database.MigrateAsync(stoppingToken);
                await Identity.IdentitySeeder.SeedAsync(scope.ServiceProvider, stoppingToken);
                var elapsed = clock.GetElapsedTime(started);
                LogApplied(logger, elapsed.TotalSeconds);
                _applied.TrySetResult();
                return;
            }
            catch (Exception exception) when (IsUnreachable(exception) && clock.GetElapsedTime(started) < options.Value.MigrationTimeout)
            {
                LogRetrying(logger, attempt, Reason(exception));
                await Task.Delay(RetryDelay, clock, stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                var elapsed = clock.GetElapsedTime(started);
                LogFailed(logger, elapsed.TotalSeconds, options.Value.MigrationTimeout, exception);
                _applied.TrySetException(exception);
                Environment.ExitCode = 1;
                lifetime.StopApplication();
                return;
            }
        }
    }

    /// <summary>Worth waiting for: the server is not up or not accepting connections yet. A failing migration is not.</summary>
    private static bool IsUnreachable(Exception exception) => exception switch
    {
        NpgsqlException npgsql => npgsql.IsTransient,
        RetryLimitExceededException { InnerException: { } inner } => IsUnreachable(inner),
        _ => false,
    };

    private static string Reason(Exception exception) =>
        exception is RetryLimitExceededException { InnerException: { } inner } ? inner.Message : exception.Message;

    [LoggerMessage(Level = LogLevel.Information, Message = "Database migrations applied; schema is current after {Seconds:0.0} s")]
    private static partial void LogApplied(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database not reachable yet (attempt {Attempt}), retrying migrations: {Reason}")]
    private static partial void LogRetrying(ILogger logger, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Database migrations failed after {Seconds:0.0} s (unreachable is retried for Fleet:MigrationTimeout = {Timeout}); stopping the API")]
    private static partial void LogFailed(ILogger logger, double seconds, TimeSpan timeout, Exception exception);

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
