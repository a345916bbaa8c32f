using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Fleet.Api.Infrastructure;

/// <summary>
/// The API's one-shot modes for Kubernetes: <c>--migrate</c> (the migrations Job) applies pending migrations and
/// exits; <c>--wait-for-migrations</c> (each replica's init container) only reads the schema's state and exits once
/// nothing is pending, so replicas never migrate in a race at start. Both wait while the database is unreachable,
/// up to <see cref="FleetOptions.MigrationTimeout"/>; the exit code is 0 on success, 1 otherwise.
/// </summary>
public static partial class MigrationCommand
{
    public const string Migrate = "--migrate";
    public const string WaitForMigrations = "--wait-for-migrations";
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    public static bool IsRequested(string[] args) => args.Contains(Migrate) || args.Contains(WaitForMigrations);

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, CancellationToken cancellationToken = default)
    {
        var apply = args.Contains(Migrate);
        var clock = services.GetRequiredService<TimeProvider>();
        // Read directly: the one-shot modes need the database only, not the tokens FleetOptions validates.
        var timeout = services.GetRequiredService<IConfiguration>().GetSection(FleetOptions.Section)
            .GetValue(nameof(FleetOptions.MigrationTimeout), new FleetOptions().MigrationTimeout);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MigrationCommand));
        var started = clock.GetTimestamp();
        while (true)
        {
            try
            {
                await using var scope = services.CreateAsyncScope();
                var database = scope.ServiceProvider.GetRequiredService<FleetDbContext>().Database;
                if (apply)
                {
                    await database.MigrateAsync(cancellationToken);
                    await Identity.IdentitySeeder.SeedAsync(services, cancellationToken);
                    LogDone(logger, "applied");
                    return 0;
                }

                var pending = (await database.GetPendingMigrationsAsync(cancellationToken)).Count();
                if (pending == 0)
                {
                    LogDone(logger, "current");
                    return 0;
                }

                LogPending(logger, pending);
            }
            catch (Exception exception) when (exception is NpgsqlException { IsTransient: true } or InvalidOperationException { InnerException: NpgsqlException { IsTransient: true } })
            {
                LogWaiting(logger, exception.Message);
            }

            if (clock.GetElapsedTime(started) >= timeout)
            {
                LogGaveUp(logger, timeout);
                return 1;
            }

            await Task.Delay(RetryDelay, clock, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database schema is {State}")]
    private static partial void LogDone(ILogger logger, string state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting for the database schema: {Reason}")]
    private static partial void LogWaiting(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting for the migrations Job: {Pending} migration(s) pending")]
    private static partial void LogPending(ILogger logger, int pending);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Database schema not current after {Timeout}; giving up")]
    private static partial void LogGaveUp(ILogger logger, TimeSpan timeout);
}
