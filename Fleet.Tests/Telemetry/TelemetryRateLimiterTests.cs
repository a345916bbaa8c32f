using Fleet.Api.Infrastructure;
using Fleet.Api.Telemetry;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Fleet.Tests.Telemetry;

/// <summary>
/// The rate limiter's flush on the run's real Redis, in the last database (API factories count up from 1 and a run
/// starts far fewer than 1,023 of them), with a fake clock so the minute does not turn mid-test.
/// </summary>
public sealed class TelemetryRateLimiterTests(BackingServers servers) : IDisposable
{
    private const int Database = ApiFactory.RedisDatabases - 1;
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect($"{servers.RedisConnectionString},defaultDatabase={Database}");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 10, 0, 15, TimeSpan.Zero));
    private readonly WarningLog _log = new();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_flush_cut_short_by_the_API_stopping_warns_of_nothing_and_the_next_flush_sends_its_counts()
    {
        var limiter = new TelemetryRateLimiter(_redis, Options.Create(new TelemetryOptions()), _clock, _log);
        // More devices than one Redis call takes (500), so the flush is several calls.
        var devices = Enumerable.Range(0, 1_200).Select(_ => Guid.NewGuid()).ToArray();
        foreach (var device in devices)
        {
            limiter.RetryAfter(device).ShouldBeNull();
        }

        using (var stopping = new CancellationTokenSource())
        {
            await stopping.CancelAsync();
            await limiter.FlushAsync(stopping.Token);
        }

        _log.Warnings.ShouldBeEmpty();
        var window = _clock.GetUtcNow().ToUnixTimeSeconds() / 60;
        (await _redis.GetDatabase().KeyExistsAsync(RedisKeys.TelemetryRate(devices[0], window))).ShouldBeFalse();

        await limiter.FlushAsync(Cancellation);

        var counts = await _redis.GetDatabase().StringGetAsync([.. devices.Select(d => (RedisKey)RedisKeys.TelemetryRate(d, window))]);
        counts.ShouldAllBe(count => count == 1);
        _log.Warnings.ShouldBeEmpty();
    }

    public void Dispose() => _redis.Dispose();

    private sealed class WarningLog : ILogger<TelemetryRateLimiter>
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning)
            {
                lock (Warnings)
                {
                    Warnings.Add(formatter(state, exception));
                }
            }
        }
    }
}
