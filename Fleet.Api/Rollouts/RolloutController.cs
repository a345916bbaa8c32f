using Fleet.Api.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Fleet.Api.Rollouts;

/// <summary>Every tick interval, on the replica holding the leader lock, runs one <see cref="RolloutEngine"/> tick.</summary>
public sealed partial class RolloutController(
    RolloutEngine engine,
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
        using var timer = new PeriodicTimer(interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await leaderLock.TryHoldAsync("rollout-controller", interval * 5))
                {
                    await engine.TickAsync(stoppingToken);
                }
            }
            catch (Exception exception) when (exception is RedisException or NpgsqlException or TimeoutException or Microsoft.EntityFrameworkCore.DbUpdateException)
            {
                LogTickFailed(logger, exception);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rollout controller tick failed; the next one retries")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}
