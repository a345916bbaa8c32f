using Fleet.Contracts;
using Fleet.Web.Components.Shared;
using MudBlazor;

namespace Fleet.Web.Services;

/// <summary>Acts on a rollout the way every page does it: confirm with a reason (for the audit log), call the API, say what happened.</summary>
public sealed class RolloutActions(IDialogService dialogs, ISnackbar snackbar, FleetApiClient api)
{
    /// <summary>The rollout after the action, or null when the operator cancelled or the API refused or failed.</summary>
    public async Task<RolloutResponse?> RunAsync(RolloutResponse rollout, RolloutCommand command, CancellationToken cancellationToken)
    {
        var label = rollout.Name ?? $"rollout of {rollout.ReleaseVersion}";
        var reason = await ReasonDialog.AskAsync(dialogs, $"{command} {label}", RolloutCommands.Consequence(command), command.ToString(),
            required: true, destructive: RolloutCommands.IsDestructive(command));
        if (reason is null)
        {
            return null;
        }

        return await snackbar.ReportAsync(label, command.ToRoute(),
            () => api.ActOnRolloutAsync(rollout.Id, command, reason, cancellationToken), changed => $"{label} is now {changed.State}.");
    }
}

/// <summary>Acknowledges (with a note) or resolves an alert: ask, call the API, say what happened.</summary>
public sealed class AlertActions(IDialogService dialogs, ISnackbar snackbar, FleetApiClient api)
{
    public async Task<AlertResponse?> RunAsync(AlertResponse alert, AlertCommand command, CancellationToken cancellationToken)
    {
        var subject = alert.RolloutId is { } rolloutId ? $"rollout {rolloutId.ToString()[..8]}" : alert.DeviceSerial ?? alert.DeviceId.ToString();
        var label = $"{alert.RuleName} on {subject}";
        var message = command == AlertCommand.Acknowledge
            ? $"Acknowledge {label}? It stays active until its condition clears or someone resolves it; the note tells the team who is on it."
            : $"Resolve {label}? It closes now; if the condition still holds, the rule opens a new alert.";
        var note = await ReasonDialog.AskAsync(dialogs, $"{command} alert", message, command.ToString(),
            required: command == AlertCommand.Acknowledge, destructive: false, label: "Note");
        if (note is null)
        {
            return null;
        }

        return await snackbar.ReportAsync(label, command.ToString().ToLowerInvariant(),
            () => api.ChangeAlertAsync(alert.Id, command, note, cancellationToken), changed => $"{label} is {changed.State}.");
    }
}

/// <summary>The end of every confirmed action: call the API and say on the snackbar what came of it.</summary>
internal static class ActionOutcome
{
    /// <summary>The changed item, or null (with a warning or an error shown) when the API refused or failed.</summary>
    public static async Task<T?> ReportAsync<T>(this ISnackbar snackbar, string label, string verb, Func<Task<ApiResult<T>>> call, Func<T, string> done)
        where T : class
    {
        try
        {
            var result = await call();
            if (result.Value is { } changed)
            {
                snackbar.Add(done(changed), Severity.Success);
                return changed;
            }

            snackbar.Add($"Could not {verb} {label}: {result.Problem?.Message}", Severity.Warning);
        }
        catch (FleetApiException exception)
        {
            snackbar.Add($"Could not {verb} {label}: {exception.Message}", Severity.Error);
        }

        return null;
    }
}
