using Fleet.Contracts;
using MudBlazor;

namespace Fleet.Web.Services;

/// <summary>Activate, suspend or retire a device the way every page does it: confirm, call the API, say what happened.</summary>
public sealed class DeviceActions(IDialogService dialogs, ISnackbar snackbar, FleetApiClient api)
{
    /// <summary>Which actions the API would accept from a lifecycle (the UI offers only those; the API still decides).</summary>
    public static IReadOnlyList<LifecycleAction> Offered(string lifecycle) => lifecycle switch
    {
        "new" => [LifecycleAction.Activate, LifecycleAction.Retire],
        "active" => [LifecycleAction.Suspend, LifecycleAction.Retire],
        "suspended" => [LifecycleAction.Activate, LifecycleAction.Retire],
        _ => [],
    };

    /// <summary>The device after the change, or null when the operator cancelled or the API refused or failed.</summary>
    public async Task<DeviceSummary?> RunAsync(DeviceSummary device, LifecycleAction action, CancellationToken cancellationToken)
    {
        var label = device.Name ?? device.Serial;
        var verb = action.ToString().ToLowerInvariant();
        var confirmed = await dialogs.ShowMessageBoxAsync(
            $"{action} device",
            Consequence(action, label),
            yesText: action.ToString(),
            noText: null,
            cancelText: "Cancel",
            options: new DialogOptions { CloseOnEscapeKey = true, MaxWidth = MaxWidth.ExtraSmall });
        if (confirmed != true)
        {
            return null;
        }

        try
        {
            var result = await api.ChangeLifecycleAsync(device.Id, action, cancellationToken);
            if (result.Device is { } changed)
            {
                snackbar.Add($"{label} is now {changed.Lifecycle}.", Severity.Success);
                return changed;
            }

            snackbar.Add($"Could not {verb} {label}: {result.Refusal}", Severity.Warning);
        }
        catch (FleetApiException exception)
        {
            snackbar.Add($"Could not {verb} {label}: {exception.Message}", Severity.Error);
        }

        return null;
    }

    private static string Consequence(LifecycleAction action, string label) => action switch
    {
        LifecycleAction.Activate => $"Put {label} in service? Its key will work again.",
        LifecycleAction.Suspend => $"Take {label} out of service? Its key stops working until it is activated again.",
        _ => $"Retire {label} for good? This cannot be undone.",
    };
}
