using Fleet.Api.Alerts;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Fleet.Tests.Alerts;

/// <summary>
/// The latest metrics that ingest records for the alert evaluator, flushed to the run's real Redis (in the second-last
/// database: API factories count up from 1, and the rate limiter's tests use the last).
/// </summary>
public sealed class AlertSignalsTests(BackingServers servers) : IDisposable
{
    private const int Database = ApiFactory.RedisDatabases - 2;
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect($"{servers.RedisConnectionString},defaultDatabase={Database}");

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Latest_metrics_reach_Redis_at_the_configured_flush_interval_and_when_the_replica_stops()
    {
        using var quick = Signals(TimeSpan.FromMilliseconds(20));
        using var slow = Signals(TimeSpan.FromMinutes(10));
        await quick.StartAsync(Cancellation);
        await slow.StartAsync(Cancellation);
        var (first, held, later) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());

        quick.RecordMetrics(first, new Dictionary<string, double> { ["temperature"] = 21.5 });
        slow.RecordMetrics(held, new Dictionary<string, double> { ["temperature"] = 30 });
        await Eventually.GetAsync(() => LatestAsync(first), TimeSpan.FromSeconds(10), "the quick replica's first flush", Cancellation);
        // Half a second later, long past the default 100 ms, the quick replica flushes again; the slow one still holds its device back.
        await Task.Delay(TimeSpan.FromMilliseconds(500), Cancellation);
        quick.RecordMetrics(later, new Dictionary<string, double> { ["temperature"] = 22 });
        await Eventually.GetAsync(() => LatestAsync(later), TimeSpan.FromSeconds(10), "the quick replica's later flush", Cancellation);
        (await LatestAsync(held)).ShouldBeNull();
        (await _redis.GetDatabase().SetContainsAsync(AlertSignals.DirtyKey, held.ToString("N"))).ShouldBeFalse();

        // Stopping flushes what is left, whatever the interval.
        await slow.StopAsync(Cancellation);
        (await LatestAsync(held)).ShouldBe("30");
        (await _redis.GetDatabase().SetContainsAsync(AlertSignals.DirtyKey, held.ToString("N"))).ShouldBeTrue();
        await quick.StopAsync(Cancellation);
    }

    private AlertSignals Signals(TimeSpan flushInterval) =>
        new(_redis, Options.Create(new AlertOptions { SignalFlushInterval = flushInterval }), NullLogger<AlertSignals>.Instance);

    private async Task<string?> LatestAsync(Guid device) =>
        await _redis.GetDatabase().HashGetAsync(AlertSignals.MetricsKey(device), "temperature") is { HasValue: true } value ? value.ToString() : null;

    public void Dispose() => _redis.Dispose();
}
