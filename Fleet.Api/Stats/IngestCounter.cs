using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Fleet.Api.Stats;

/// <summary>
/// Telemetry points stored per UTC minute, as one Redis counter per minute shared by every replica (INCRBY, expiring a
/// little after the window). Reading the last hour is one MGET of 60 keys, whatever the size of the telemetry table.
/// </summary>
public sealed partial class IngestCounter(
    IConnectionMultiplexer redis, IOptions<IngestRateOptions> options, TimeProvider clock, ILogger<IngestCounter> logger)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Counts points the writer has just committed. Fire-and-forget: the batch is durable already, so a Redis hiccup
    /// costs a dent in the chart, never the batch or the writer's pace.
    /// </summary>
    public void Stored(long points)
    {
        if (points <= 0)
        {
            return;
        }

        var key = RedisKeys.IngestPoints(MinuteOf(clock.GetUtcNow()));
        var lifetime = Minute * (options.Value.WindowMinutes + options.Value.GraceMinutes + 1);
        try
        {
            var database = redis.GetDatabase();
            database.StringIncrement(key, points, CommandFlags.FireAndForget);
            database.KeyExpire(key, lifetime, ExpireWhen.HasNoExpiry, CommandFlags.FireAndForget);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            LogCountLost(logger, points, exception);
        }
    }

    /// <summary>The last <paramref name="minutes"/> minutes, oldest first, the current (partial) one last.</summary>
    public async Task<IngestRateResponse> ReadAsync(int minutes)
    {
        var now = clock.GetUtcNow();
        var current = MinuteOf(now);
        // Also the minute before the window, for the rate when only one minute is asked for.
        var keys = Enumerable.Range(0, minutes + 1).Select(i => (RedisKey)RedisKeys.IngestPoints(current - minutes + i)).ToArray();
        var values = await redis.GetDatabase().StringGetAsync(keys);
        var counts = values.Select(value => value.TryParse(out long count) ? count : 0).ToArray();
        var perMinute = Enumerable.Range(1, minutes)
            .Select(i => new IngestMinute(DateTimeOffset.FromUnixTimeSeconds((current - minutes + i) * 60), counts[i]))
            .ToList();
        var intoMinute = (now - DateTimeOffset.FromUnixTimeSeconds(current * 60)).TotalSeconds;
        var pointsPerSecond = (counts[^1] + counts[^2]) / (Minute.TotalSeconds + intoMinute);
        return new IngestRateResponse(now, perMinute, perMinute.Sum(m => m.Points), Math.Round(pointsPerSecond, 2));
    }

    private static long MinuteOf(DateTimeOffset at) => at.ToUnixTimeSeconds() / 60;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Points} stored telemetry points were not counted in the ingest rate")]
    private static partial void LogCountLost(ILogger logger, long points, Exception exception);
}
