namespace Fleet.DeviceSim.Updates;

/// <summary>Where the device is with one update; the wire names are the API's device-update states.</summary>
public enum UpdateStage
{
    Offered,
    Downloading,
    Downloaded,
    Installing,
    Rebooting,
    Healthy,
    Failed,
    RolledBack,
}

/// <summary>What happens to an update on the device.</summary>
public enum UpdateEvent
{
    DownloadStarted,

    /// <summary>The whole artefact arrived and its sha256 matches the offer.</summary>
    DownloadVerified,

    /// <summary>The download gave up, or the sha256 did not match.</summary>
    DownloadFailed,
    InstallStarted,
    RebootStarted,

    /// <summary>The new slot booted and passed its health check: committed.</summary>
    BootHealthy,

    /// <summary>The new slot failed its health check: the device went back to the previous slot by itself.</summary>
    BootFailed,

    /// <summary>The operator rolled the rollout back: the device goes back to the previous slot.</summary>
    RollbackRequested,
}

/// <summary>What a device does with an offer, given what it already knows of that rollout.</summary>
public enum OfferDecision
{
    /// <summary>A new update: start it.</summary>
    Start,

    /// <summary>The same rollout again (a re-sent offer): report where it is, never start it twice.</summary>
    ReportCurrent,

    /// <summary>Another update is under way: ignore this one; the API re-offers it after its timeout.</summary>
    Busy,

    /// <summary>The offered version already runs: report healthy without installing.</summary>
    AlreadyRunning,
}

/// <summary>The device side of an update as one pure function, beside the API's own <c>DeviceUpdateTransitions</c>.</summary>
public static class UpdateTransitions
{
    /// <summary>The stage after <paramref name="happened"/>, or null when that cannot happen in <paramref name="from"/>.</summary>
    public static UpdateStage? Next(UpdateStage from, UpdateEvent happened) => (from, happened) switch
    {
        (UpdateStage.Offered, UpdateEvent.DownloadStarted) => UpdateStage.Downloading,
        (UpdateStage.Downloading, UpdateEvent.DownloadVerified) => UpdateStage.Downloaded,
        (UpdateStage.Offered or UpdateStage.Downloading, UpdateEvent.DownloadFailed) => UpdateStage.Failed,
        (UpdateStage.Downloaded, UpdateEvent.InstallStarted) => UpdateStage.Installing,
        (UpdateStage.Installing, UpdateEvent.RebootStarted) => UpdateStage.Rebooting,
        (UpdateStage.Rebooting, UpdateEvent.BootHealthy) => UpdateStage.Healthy,
        (UpdateStage.Rebooting, UpdateEvent.BootFailed) => UpdateStage.Failed,
        (not UpdateStage.RolledBack, UpdateEvent.RollbackRequested) => UpdateStage.RolledBack,
        _ => null,
    };

    public static bool IsFinished(this UpdateStage stage) => stage is UpdateStage.Healthy or UpdateStage.Failed or UpdateStage.RolledBack;

    /// <param name="current">The device's latest update: its rollout and stage; null when it has had none.</param>
    public static OfferDecision Decide(Guid offeredRollout, string offeredVersion, string runningVersion, (Guid Rollout, UpdateStage Stage)? current) => current switch
    {
        { } known when known.Rollout == offeredRollout => OfferDecision.ReportCurrent,
        { } other when !other.Stage.IsFinished() => OfferDecision.Busy,
        _ when string.Equals(offeredVersion, runningVersion, StringComparison.OrdinalIgnoreCase) => OfferDecision.AlreadyRunning,
        _ => OfferDecision.Start,
    };

    /// <summary>Wire names: <c>downloading</c>, ..., <c>rolled-back</c>.</summary>
    public static string ToName(this UpdateStage stage) => stage == UpdateStage.RolledBack ? "rolled-back" : stage.ToString().ToLowerInvariant();
}
