namespace Fleet.Api.Infrastructure;

/// <summary>
/// A background service for state that requests record in memory and that goes to a shared store in batches: it
/// flushes every <paramref name="interval"/>, and once more when the app stops (bounded by <see cref="FinalFlushTimeout"/>)
/// so that what was recorded is not left behind. The interval runs on <paramref name="time"/> (the system clock when
/// none is given), so a flusher that reads an injected clock also ticks on it.
/// </summary>
public abstract class PeriodicFlusher(TimeSpan interval, TimeProvider? time = null) : BackgroundService
{
    public static readonly TimeSpan FinalFlushTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The clock the flushes tick on, for a flusher that also reads the time.</summary>
    protected TimeProvider Clock { get; } = time ?? TimeProvider.System;

    /// <summary>Writes what is recorded; what cannot be written stays for the next flush.</summary>
    public abstract Task FlushAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, Clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        using var final = new CancellationTokenSource(FinalFlushTimeout);
        await FlushAsync(final.Token);
    }
}
