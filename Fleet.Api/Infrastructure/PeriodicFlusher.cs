namespace Fleet.Api.Infrastructure;

/// <summary>
/// A background service for state that requests record in memory and that goes to a shared store in batches: it
/// flushes every <paramref name="interval"/>, and once more when the app stops so that nothing recorded is left behind.
/// </summary>
public abstract class PeriodicFlusher(TimeSpan interval) : BackgroundService
{
    protected abstract Task FlushAsync();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await FlushAsync();
        }
    }
}
