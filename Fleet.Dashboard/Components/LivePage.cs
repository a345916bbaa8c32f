using Fleet.Dashboard.Storage;
using Microsoft.AspNetCore.Components;

namespace Fleet.Dashboard.Components;

/// <summary>
/// A page that keeps itself current: once the circuit is up it checks every second whether the store
/// changed (or always, for data from the AppHost) and reloads; no reload of the browser needed.
/// </summary>
public abstract class LivePage : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private long _seenVersion = -1;

    [Inject]
    protected TelemetryStore Store { get; set; } = default!;

    /// <summary>True when the page shows data the store's version does not cover (resources, console lines).</summary>
    protected virtual bool RefreshEverySecond => false;

    protected override Task OnParametersSetAsync() => LoadAsync(_stop.Token);

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            _seenVersion = Store.Version;
            _ = KeepCurrentAsync();
        }
    }

    protected abstract Task LoadAsync(CancellationToken cancellationToken);

    /// <summary>Reloads now, for filter changes.</summary>
    protected Task ReloadAsync() => LoadAsync(_stop.Token);

    private async Task KeepCurrentAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var version = Store.Version;
                if (!RefreshEverySecond && version == _seenVersion)
                {
                    continue;
                }

                _seenVersion = version;
                await InvokeAsync(async () =>
                {
                    await LoadAsync(_stop.Token);
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
