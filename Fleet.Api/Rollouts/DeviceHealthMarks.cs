using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Fleet.Api.Rollouts;

/// <summary>The devices marked since a moment: when each last booted, and when each last reported errors.</summary>
public sealed record HealthMarks(IReadOnlyDictionary<Guid, DateTimeOffset> Boots, IReadOnlyDictionary<Guid, DateTimeOffset> Errors);

/// <summary>
/// What the rollout gate compares besides connectivity: when each device last booted (a heartbeat's time minus its
/// uptime) and when it last reported the error metric above zero. Two Redis sorted sets with one entry per device,
/// so they stay the size of the fleet; a gate reads only the entries newer than its window's start, so its cost
/// follows the devices that rebooted or erred, not the fleet.
/// </summary>
public sealed class DeviceHealthMarks(IConnectionMultiplexer redis, IOptions<RolloutOptions> options)
{
    /// <summary>Called with every heartbeat: the boot time it implies.</summary>
    public Task RecordBootAsync(Guid deviceId, DateTimeOffset at, long uptimeSeconds) =>
        redis.GetDatabase().SortedSetAddAsync(RedisKeys.HealthBoots, deviceId.ToString("N"), (at - TimeSpan.FromSeconds(uptimeSeconds)).ToUnixTimeMilliseconds());

    /// <summary>The metric whose value above zero means a reading reports errors.</summary>
    public string ErrorMetric => options.Value.ErrorMetric;

    /// <summary>Whether some reading of a batch carries the error metric above zero.</summary>
    public bool ReportsErrors(IEnumerable<TelemetryReading?> readings)
    {
        var errorMetric = ErrorMetric;
        return readings.Any(reading => reading?.Metrics is { } values && values.TryGetValue(errorMetric, out var value) && value > 0);
    }

    /// <summary>The device reported errors at <paramref name="at"/>: called for an accepted telemetry batch that <see cref="ReportsErrors"/>.</summary>
    public Task MarkErrorsAsync(Guid deviceId, DateTimeOffset at) =>
        redis.GetDatabase().SortedSetAddAsync(RedisKeys.HealthErrors, deviceId.ToString("N"), at.ToUnixTimeMilliseconds(), SortedSetWhen.GreaterThan);

    public async Task<HealthMarks> SinceAsync(DateTimeOffset from)
    {
        var database = redis.GetDatabase();
        var start = from.ToUnixTimeMilliseconds();
        var boots = database.SortedSetRangeByScoreWithScoresAsync(RedisKeys.HealthBoots, start, double.PositiveInfinity, Exclude.Start);
        var errors = database.SortedSetRangeByScoreWithScoresAsync(RedisKeys.HealthErrors, start, double.PositiveInfinity, Exclude.Start);
        return new HealthMarks(ToTimes(await boots), ToTimes(await errors));
    }

    private static Dictionary<Guid, DateTimeOffset> ToTimes(SortedSetEntry[] entries) =>
        entries.ToDictionary(e => Guid.ParseExact(e.Element.ToString(), "N"), e => DateTimeOffset.FromUnixTimeMilliseconds((long)e.Score));
}
