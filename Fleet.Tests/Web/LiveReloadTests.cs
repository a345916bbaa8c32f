using System.Diagnostics;
using System.Threading.Channels;
using Fleet.Web.Services;

namespace Fleet.Tests.Web;

/// <summary>How a page reloads on live events: one at a time, requests coalesced, starts spaced by the gap (real time, short gap).</summary>
public sealed class LiveReloadTests : IAsyncDisposable
{
    private static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly Channel<(TaskCompletionSource Done, long StartedAt)> _started = Channel.CreateUnbounded<(TaskCompletionSource, long)>();
    private readonly LiveReload _reload;

    public LiveReloadTests() => _reload = new LiveReload(Gap, TimeProvider.System, _ =>
    {
        // Each reload runs until the test completes it, as a page's call to the API would.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _started.Writer.TryWrite((done, Stopwatch.GetTimestamp()));
        return done.Task;
    });

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_storm_of_requests_during_a_reload_costs_one_more_reload_after_it()
    {
        _reload.Request();
        var first = await NextReloadAsync();

        for (var i = 0; i < 10_000; i++)
        {
            _reload.Request();
        }

        first.Done.SetResult();
        var second = await NextReloadAsync();
        second.Done.SetResult();

        // Had the storm queued more than one reload, this request's reload would be the fourth or later.
        _reload.Request();
        (await NextReloadAsync()).Done.SetResult();
        _reload.Reloads.ShouldBe(3);
    }

    [Fact]
    public async Task Reloads_start_at_least_the_gap_apart()
    {
        _reload.Request();
        var first = await NextReloadAsync();
        first.Done.SetResult();

        _reload.Request();
        var second = await NextReloadAsync();
        second.Done.SetResult();

        Stopwatch.GetElapsedTime(first.StartedAt, second.StartedAt).ShouldBeGreaterThanOrEqualTo(Gap - TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public async Task Disposing_cancels_a_waiting_reload_and_later_requests_do_nothing()
    {
        _reload.Request();
        (await NextReloadAsync()).Done.SetResult();
        _reload.Request();

        await _reload.DisposeAsync();
        _reload.Request();

        // Longer than the gap: the waiting reload would have started by now.
        await Task.Delay(Gap * 2, Cancellation);
        _started.Reader.TryRead(out _).ShouldBeFalse();
        _reload.Reloads.ShouldBe(1);
    }

    private async Task<(TaskCompletionSource Done, long StartedAt)> NextReloadAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(Wait);
        return await _started.Reader.ReadAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync() => await _reload.DisposeAsync();
}
