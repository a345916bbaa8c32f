using System.Security.Cryptography;
using Fleet.Contracts;
using Fleet.DeviceSim.Channels;
using Fleet.DeviceSim.Faults;

namespace Fleet.DeviceSim.Updates;

/// <summary>
/// One device's A/B updates: on an offer it downloads (resuming with Range), checks the sha256, installs into the
/// inactive slot, reboots into it, and commits it when its health check passes or goes back to the previous slot by
/// itself when it does not; every step is reported over the channel. A re-sent offer never restarts an update.
/// </summary>
public sealed partial class DeviceUpdater(
    VirtualDevice device,
    IDeviceLink link,
    FirmwareDownloader downloader,
    FaultInjector faults,
    SimulatorStatus status,
    ILogger logger)
{
    private readonly Lock _lock = new();
    private Guid _rollout;
    private UpdateStage? _stage;
    private string? _reason;
    private CancellationTokenSource? _abandon;

    /// <summary>The latest update's rollout and stage; null before the first offer.</summary>
    public (Guid Rollout, UpdateStage Stage)? Current
    {
        get
        {
            lock (_lock)
            {
                return _stage is { } stage ? (_rollout, stage) : null;
            }
        }
    }

    /// <summary>The update work started by the latest offer, for tests and shutdown.</summary>
    public Task Work { get; private set; } = Task.CompletedTask;

    /// <summary>Takes an offer: starts the update in the background, or reports where an earlier one is.</summary>
    public Task OfferAsync(UpdateOffer offer, CancellationToken stopping)
    {
        OfferDecision decision;
        CancellationTokenSource? abandon = null;
        lock (_lock)
        {
            decision = UpdateTransitions.Decide(offer.RolloutId, offer.Version, device.Firmware, _stage is { } stage ? (_rollout, stage) : null);
            if (decision is OfferDecision.Start or OfferDecision.AlreadyRunning)
            {
                _abandon?.Dispose();
                _abandon = abandon = decision == OfferDecision.Start ? CancellationTokenSource.CreateLinkedTokenSource(stopping) : null;
                _rollout = offer.RolloutId;
                (_stage, _reason) = decision == OfferDecision.Start
                    ? (UpdateStage.Offered, null)
                    : (UpdateStage.Healthy, $"{offer.Version} already runs in slot {device.Slot}");
            }
        }

        switch (decision)
        {
            case OfferDecision.Start:
                Work = RunAsync(offer, abandon!.Token);
                return Task.CompletedTask;
            case OfferDecision.Busy:
                LogBusy(logger, device.Serial, offer.RolloutId);
                return Task.CompletedTask;
            default:
                return ReportCurrentAsync(stopping);
        }
    }

    /// <summary>The operator rolled the rollout back: go back to the previous slot (abandoning an update under way), report rolled-back.</summary>
    public Task RollbackAsync(RollbackRequest request, CancellationToken stopping)
    {
        lock (_lock)
        {
            if (_stage is { } stage && _rollout == request.RolloutId && UpdateTransitions.Next(stage, UpdateEvent.RollbackRequested) is null)
            {
                return ReportCurrentAsync(stopping);
            }

            if (_stage is not { } known || _rollout != request.RolloutId)
            {
                _reason = $"nothing of this rollout installed; on slot {device.Slot} ({device.Firmware})";
            }
            else if (known == UpdateStage.Healthy)
            {
                var slot = device.Slots.RevertToPrevious();
                _reason = $"back on slot {slot} ({device.Slots.VersionIn(slot)})";
            }
            else
            {
                _abandon?.Cancel();
                _reason = $"update abandoned; on slot {device.Slot} ({device.Firmware})";
            }

            _rollout = request.RolloutId;
            _stage = UpdateStage.RolledBack;
        }

        status.UpdateRolledBack();
        LogRolledBack(logger, device.Serial, request.RolloutId);
        return ReportCurrentAsync(stopping);
    }

    private async Task RunAsync(UpdateOffer offer, CancellationToken cancellationToken)
    {
        try
        {
            await UpdateAsync(offer, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Rolled back while under way, or the simulator is stopping: the device stays on the slot it runs.
        }
    }

    private async Task UpdateAsync(UpdateOffer offer, CancellationToken cancellationToken)
    {
        if (!await MoveAsync(offer.RolloutId, UpdateEvent.DownloadStarted, null, cancellationToken))
        {
            return;
        }

        status.UpdateStarted();
        var download = device.Identity is { } identity
            ? await downloader.DownloadAsync(device, identity.DeviceKey, offer, cancellationToken)
            : new DownloadResult(null, "the device lost its key", 0);
        var failure = download.Content is null ? download.Failure
            : Sha256Of(download.Content) is var actual && !string.Equals(actual, offer.Sha256, StringComparison.OrdinalIgnoreCase)
                ? $"sha256 mismatch: expected {offer.Sha256}, got {actual}"
                : null;
        if (failure is not null)
        {
            status.UpdateFailed();
            LogFailed(logger, device.Serial, offer.Version, failure);
            await MoveAsync(offer.RolloutId, UpdateEvent.DownloadFailed, failure, cancellationToken);
            return;
        }

        if (!await MoveAsync(offer.RolloutId, UpdateEvent.DownloadVerified, null, cancellationToken)
            || !await MoveAsync(offer.RolloutId, UpdateEvent.InstallStarted, null, cancellationToken))
        {
            return;
        }

        var from = device.Slot;
        var slot = device.Slots.Install(offer.Version);
        if (!await MoveAsync(offer.RolloutId, UpdateEvent.RebootStarted, null, cancellationToken))
        {
            return;
        }

        device.Slots.BootOther();
        await link.RebootAsync(cancellationToken);
        if (faults.FailsToBoot(device.Index, device.HardwareRevision, offer.Version))
        {
            var back = device.Slots.RevertToPrevious();
            var reason = $"{offer.Version} in slot {slot} failed its boot health check on {device.HardwareRevision}; rolled back to slot {back} ({device.Slots.VersionIn(back)})";
            status.UpdateFailed();
            LogFailed(logger, device.Serial, offer.Version, reason);
            await MoveAsync(offer.RolloutId, UpdateEvent.BootFailed, reason, cancellationToken);
            return;
        }

        device.Slots.Commit();
        status.UpdateHealthy();
        LogHealthy(logger, device.Serial, offer.Version, from, slot);
        await MoveAsync(offer.RolloutId, UpdateEvent.BootHealthy, null, cancellationToken);
    }

    /// <summary>Moves the update on and reports it; false when it cannot move (it was rolled back meanwhile).</summary>
    private async Task<bool> MoveAsync(Guid rollout, UpdateEvent happened, string? reason, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_rollout != rollout || _stage is not { } stage || UpdateTransitions.Next(stage, happened) is not { } next)
            {
                return false;
            }

            (_stage, _reason) = (next, reason);
        }

        await ReportCurrentAsync(cancellationToken);
        return true;
    }

    private Task ReportCurrentAsync(CancellationToken cancellationToken)
    {
        UpdateProgress progress;
        lock (_lock)
        {
            if (_stage is not { } stage)
            {
                return Task.CompletedTask;
            }

            progress = new UpdateProgress(DeviceChannel.Progress, _rollout, stage.ToName(), _reason);
        }

        return link.ReportAsync(ReportKey(progress.RolloutId), progress.State, progress, cancellationToken);
    }

    public static string ReportKey(Guid rolloutId) => $"update:{rolloutId:N}";

    private static string Sha256Of(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Serial} is busy with another update; the offer of rollout {RolloutId} waits for the API to re-send it")]
    private static partial void LogBusy(ILogger logger, string serial, Guid rolloutId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Serial} runs {Version} (slot {From} → {To}), healthy and committed")]
    private static partial void LogHealthy(ILogger logger, string serial, string version, string from, string to);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Update of {Serial} to {Version} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string serial, string version, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Serial} rolled back (rollout {RolloutId})")]
    private static partial void LogRolledBack(ILogger logger, string serial, Guid rolloutId);
}
