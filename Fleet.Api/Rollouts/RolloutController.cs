using System.Diagnostics;
using Fleet.Api.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Fleet.Api.Rollouts;

/// <summary>
/// Every tick interval, on the replica holding the leader lock, runs one <see cref="RolloutEngine"/> tick in a span of
/// its own, and every metrics interval recounts devices by update state for the gauge.
/// </summary>
public sealed partial class RolloutController(
    RolloutEngine engine,
    RolloutMetrics metrics,
    LeaderLock leaderLock,
    IOptions<RolloutOptions> options,
    TimeProvider clock,
    ILogger<RolloutController> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.ControllerEnabled)
        {
            return;
        }

        var interval = options.Value.TickInterval;
        var lastCount = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await leaderLock.TryHoldAsync("rollout-controller", interval * 5))
                {
                    await TickAsync(stoppingToken);
                    if (clock.GetUtcNow() - lastCount >= options.Value.MetricsInterval)
                    {
                        metrics.SetDevicesByState(await engine.CountDevicesByStateAsync(stoppingToken));
                        lastCount = clock.GetUtcNow();
                    }
                }
            }
            catch (Exception exception) when (exception is RedisException or NpgsqlException or TimeoutException or Microsoft.EntityFrameworkCore.DbUpdateException)
            {
                LogTickFailed(logger, exception);
            }
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        using var activity = RolloutMetrics.Activities.StartActivity("rollouts.tick");
        var started = clock.GetTimestamp();
        var report = await engine.TickAsync(cancellationToken);
        metrics.Ticked(report, clock.GetElapsedTime(started));
        activity?.SetTag("fleet.rollouts.running", report.Rollouts)
            .SetTag("fleet.rollouts.enrolled", report.Enrolled)
            .SetTag("fleet.rollouts.retried", report.Retried)
            .SetTag("fleet.rollouts.timed_out", report.TimedOut)
            .SetTag("fleet.rollouts.gate_evaluations", report.Evaluations)
            .SetTag("fleet.rollouts.moves", report.Moves);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rollout controller tick failed; the next one retries")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}
