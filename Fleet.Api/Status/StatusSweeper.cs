using Fleet.Api.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Fleet.Api.Status;

/// <summary>Every sweep interval, on the replica holding the leader lock, turns silent devices at-risk and then offline.</summary>
public sealed partial class StatusSweeper(
    DeviceStatusTracker tracker,
    DeviceStatusRecorder recorder,
    LeaderLock leaderLock,
    FleetMetrics metrics,
    IOptions<StatusOptions> options,
    TimeProvider clock,
    ILogger<StatusSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.SweepInterval;
        using var timer = new PeriodicTimer(interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                // Every replica reports the fleet-wide counts (a few fields of one hash), so /metrics on any replica has them.
                metrics.SetDevicesByStatus(await tracker.CountByStatusAsync());
                if (!await leaderLock.TryHoldAsync("status-sweeper", interval * 3))
                {
                    continue;
                }

                using var activity = FleetMetrics.Activities.StartActivity("status sweep");
                var changes = await tracker.SweepAsync();
                await recorder.RecordAsync(changes, stoppingToken);
                activity?.SetTag("fleet.status.changes", changes.Count);
                if (changes.Count > 0)
                {
                    var offline = changes.Count(c => c.To == DeviceConnectivity.Offline);
                    LogSwept(logger, changes.Count - offline, offline);
                }
            }
            catch (Exception exception) when (exception is RedisException or NpgsqlException or TimeoutException)
            {
                LogSweepFailed(logger, exception);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Status sweep: {AtRisk} devices at-risk, {Offline} offline")]
    private static partial void LogSwept(ILogger logger, int atRisk, int offline);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Status sweep failed; the next one retries")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
