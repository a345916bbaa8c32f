using Fleet.Api.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Fleet.Api.Telemetry;

/// <summary>Once the schema is current, and then every hour, drops day partitions older than the retention.</summary>
public sealed partial class TelemetryRetention(
    DatabaseMigrator migrator,
    NpgsqlDataSource dataSource,
    TelemetryPartitions partitions,
    IOptions<TelemetryOptions> options,
    TimeProvider clock,
    ILogger<TelemetryRetention> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await migrator.Applied.WaitAsync(stoppingToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                var dropped = await partitions.DropOlderThanAsync(dataSource, clock.GetUtcNow() - options.Value.Retention, stoppingToken);
                if (dropped.Count > 0)
                {
                    LogDropped(logger, dropped.Count, dropped);
                }
            }
            catch (NpgsqlException exception)
            {
                LogFailed(logger, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped {Count} telemetry partitions past retention: {Partitions}")]
    private static partial void LogDropped(ILogger logger, int count, IReadOnlyList<string> partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telemetry retention could not run; it tries again in an hour")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
