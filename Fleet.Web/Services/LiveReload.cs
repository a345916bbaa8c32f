namespace Fleet.Web.Services;

/// <summary>
/// A page's reload on live events: one reload runs at a time, the requests that arrive meanwhile cost one more reload
/// after it (never one each, never none), and reloads start at least <paramref name="gap"/> apart, so a fleet-wide
/// storm of changes reloads a page about once per gap whatever the number of events or feeds.
/// </summary>
/// <remarks><paramref name="reload"/> handles its own failures (the pages show them); only cancellation ends it quietly.</remarks>
public sealed class LiveReload(TimeSpan gap, TimeProvider time, Func<CancellationToken, Task> reload) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task _running = Task.CompletedTask;
    private bool _busy;
    private bool _requested;
    private long _lastStarted;

    /// <summary>How many reloads ran (tests count them).</summary>
    public int Reloads { get; private set; }

    public void Request()
    {
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            if (_busy)
            {
                _requested = true;
                return;
            }

            _busy = true;
            _running = RunAsync(_stopping.Token);
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            do
            {
                var since = _lastStarted == 0 ? gap : time.GetElapsedTime(_lastStarted);
                if (since < gap)
                {
                    await Task.Delay(gap - since, time, stopping);
                }

                _lastStarted = time.GetTimestamp();
                Reloads++;
                await reload(stopping);
            }
            while (TakeRequest());
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            lock (_gate)
            {
                _busy = false;
            }
        }
    }

    private bool TakeRequest()
    {
        lock (_gate)
        {
            var requested = _requested && !_stopping.IsCancellationRequested;
            _requested = false;
            _busy = requested;
            return requested;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task running;
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            _stopping.Cancel();
            running = _running;
        }

        await running;
    }
}
