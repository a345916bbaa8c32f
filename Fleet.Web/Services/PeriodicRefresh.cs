namespace Fleet.Web.Services;

/// <summary>
/// A page's refresh loop for data no channel announces (rollout progress): calls <paramref name="refresh"/> every
/// <paramref name="period"/> until disposed, and disposal waits for a call in flight.
/// </summary>
public sealed class PeriodicRefresh(TimeSpan period, TimeProvider time, Func<CancellationToken, Task> refresh) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _running;

    public void Start() => _running ??= RunAsync(_stopping.Token);

    private async Task RunAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                await refresh(stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_running is not null)
        {
            await _running;
        }

        _stopping.Dispose();
    }
}
