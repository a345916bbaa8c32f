namespace Fleet.Tests.Infrastructure;

/// <summary>Polls a condition until it holds or a deadline passes (no fixed sleeps in tests).</summary>
public static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what, CancellationToken cancellationToken = default)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? lastError = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or IOException or InvalidOperationException or TaskCanceledException)
            {
                lastError = exception;
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}. {lastError?.Message}");
    }

    public static Task TrueAsync(Func<Task<bool>> probe, TimeSpan timeout, string what, CancellationToken cancellationToken = default) =>
        GetAsync<object>(async () => await probe() ? new object() : null, timeout, what, cancellationToken);
}
