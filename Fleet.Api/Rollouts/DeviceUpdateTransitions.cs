namespace Fleet.Api.Rollouts;

/// <summary>
/// One device's update within a rollout. <see cref="Waiting"/>: in the target, but its bucket is not in a phase yet;
/// then pending → offered → downloading → downloaded (sha256 verified) → installing → rebooting → healthy,
/// or failed (with a reason), or rolled back.
/// </summary>
public enum DeviceUpdateState
{
    Waiting,
    Pending,
    Offered,
    Downloading,
    Downloaded,
    Installing,
    Rebooting,
    Healthy,
    Failed,
    RolledBack,
}

/// <summary>
/// The device-update lifecycle as one pure function. Progress may skip steps forward (a message lost on a flaky
/// link must not strand a device), never backward, except the controller's retry of a timed-out offer back to
/// pending. Any unfinished update may fail; any started one, healthy or failed included, may be rolled back.
/// One move is the server's alone and not here: a device counted healthy that later reports another version than the
/// release fell back by itself or was reflashed (a silent rollback), so the heartbeat mirror marks its update failed;
/// a device cannot report healthy → failed itself.
/// </summary>
public static class DeviceUpdateTransitions
{
    /// <summary>States in which the device is working on the update (counted against maxConcurrentUpdates, timed out).</summary>
    public static IReadOnlyList<DeviceUpdateState> InFlight { get; } =
        [DeviceUpdateState.Offered, DeviceUpdateState.Downloading, DeviceUpdateState.Downloaded, DeviceUpdateState.Installing, DeviceUpdateState.Rebooting];

    /// <summary>States a device can report over its channel.</summary>
    public static IReadOnlyList<DeviceUpdateState> Reportable { get; } =
        [.. InFlight, DeviceUpdateState.Healthy, DeviceUpdateState.Failed, DeviceUpdateState.RolledBack];

    public static bool IsFinished(this DeviceUpdateState state) =>
        state is DeviceUpdateState.Healthy or DeviceUpdateState.Failed or DeviceUpdateState.RolledBack;

    public static bool CanMove(DeviceUpdateState from, DeviceUpdateState to)
    {
        if (from == to)
        {
            return false;
        }

        return to switch
        {
            DeviceUpdateState.Waiting => false,
            DeviceUpdateState.Pending => from is DeviceUpdateState.Waiting || InFlight.Contains(from),
            DeviceUpdateState.Failed => from is DeviceUpdateState.Pending || InFlight.Contains(from),
            DeviceUpdateState.RolledBack => from is not (DeviceUpdateState.Waiting or DeviceUpdateState.RolledBack),
            _ => from is >= DeviceUpdateState.Pending and < DeviceUpdateState.Healthy && to > from,
        };
    }

    /// <summary>Wire names: <c>waiting</c>, <c>pending</c>, ..., <c>rolled-back</c>.</summary>
    public static string ToName(this DeviceUpdateState state) => state == DeviceUpdateState.RolledBack ? "rolled-back" : state.ToString().ToLowerInvariant();

    public static bool TryParse(string? name, out DeviceUpdateState state)
    {
        foreach (var candidate in Enum.GetValues<DeviceUpdateState>())
        {
            if (string.Equals(name, candidate.ToName(), StringComparison.OrdinalIgnoreCase))
            {
                state = candidate;
                return true;
            }
        }

        state = default;
        return false;
    }
}
