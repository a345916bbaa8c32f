namespace Fleet.Api.Devices;

/// <summary>What an operator can do to a device's lifecycle (<c>POST /api/v1/devices/{id}/{action}</c>).</summary>
public enum DeviceLifecycleAction
{
    Activate,
    Suspend,
    Retire,
}

/// <summary>One action's rule: the state it leads to and the states it may start from.</summary>
public sealed record DeviceLifecycleRule(DeviceLifecycle To, IReadOnlyList<DeviceLifecycle> From);

/// <summary>
/// The device lifecycle as data: new → active, active ⇄ suspended, any but retired → retired. Retired is terminal.
/// Asking for the state a device is already in is allowed and changes nothing.
/// </summary>
public static class DeviceLifecycleTransitions
{
    public static IReadOnlyDictionary<DeviceLifecycleAction, DeviceLifecycleRule> Rules { get; } = new Dictionary<DeviceLifecycleAction, DeviceLifecycleRule>
    {
        [DeviceLifecycleAction.Activate] = new(DeviceLifecycle.Active, [DeviceLifecycle.New, DeviceLifecycle.Suspended]),
        [DeviceLifecycleAction.Suspend] = new(DeviceLifecycle.Suspended, [DeviceLifecycle.Active]),
        [DeviceLifecycleAction.Retire] = new(DeviceLifecycle.Retired, [DeviceLifecycle.New, DeviceLifecycle.Active, DeviceLifecycle.Suspended]),
    };

    /// <summary>The state <paramref name="action"/> leads to from <paramref name="from"/>, or null when it is not allowed.</summary>
    public static DeviceLifecycle? Next(DeviceLifecycle from, DeviceLifecycleAction action)
    {
        var rule = Rules[action];
        return from == rule.To || rule.From.Contains(from) ? rule.To : null;
    }

    /// <summary>The wire name of a lifecycle state: <c>new</c>, <c>active</c>, <c>suspended</c>, <c>retired</c>.</summary>
    public static string ToName(this DeviceLifecycle lifecycle) => lifecycle.ToString().ToLowerInvariant();

    public static bool TryParse(string? name, out DeviceLifecycle lifecycle)
    {
        foreach (var candidate in Enum.GetValues<DeviceLifecycle>())
        {
            if (string.Equals(name, candidate.ToName(), StringComparison.OrdinalIgnoreCase))
            {
                lifecycle = candidate;
                return true;
            }
        }

        lifecycle = default;
        return false;
    }
}
