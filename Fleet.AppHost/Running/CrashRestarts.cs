using System.Collections.Concurrent;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.AppHost.Running;

/// <summary>
/// DCP does not restart a process that dies. This watches Aspire's resource notifications and starts again, with
/// backoff (1 s doubling to 30 s), any server or service that stopped with a non-zero exit code while the app runs,
/// through the same command as the dashboard's Start button. A clean exit (0: stopped from the dashboard or finished),
/// a configuration error (2: the services' one-line refusal of a bad setting; restarting cannot fix it) and the one-shot
/// migrations are left alone.
/// </summary>
public sealed partial class CrashRestarts(
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    IHostApplicationLifetime lifetime,
    ILogger<CrashRestarts> logger) : BackgroundService
{
    public const int ConfigurationErrorExitCode = 2;
    private static readonly string[] StoppedStates = [KnownResourceStates.Exited, KnownResourceStates.Finished, KnownResourceStates.FailedToStart];
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, ReplicaHistory> _history = new();

    /// <summary>How many times the replica with this DCP id was started again.</summary>
    public int RestartsOf(string resourceId) => _history.TryGetValue(resourceId, out var history) ? history.Restarts : 0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var update in notifications.WatchAsync(stoppingToken))
            {
                if (update.Resource is ParameterResource || !IsRestartable(update.Resource))
                {
                    continue;
                }

                var history = _history.GetOrAdd(update.ResourceId, _ => new ReplicaHistory());
                var state = update.Snapshot.State?.Text;
                if (state == KnownResourceStates.Running)
                {
                    history.RunningSince ??= DateTimeOffset.UtcNow;
                    history.Pending = false;
                    continue;
                }

                var crashed = StoppedStates.Contains(state) && history.RunningSince is not null
                    && update.Snapshot.ExitCode is not (0 or ConfigurationErrorExitCode);
                if (!crashed || history.Pending || lifetime.ApplicationStopping.IsCancellationRequested)
                {
                    history.RunningSince = state == KnownResourceStates.Running ? history.RunningSince : null;
                    continue;
                }

                if (DateTimeOffset.UtcNow - history.RunningSince > StableAfter)
                {
                    history.Attempt = 0;
                }

                history.RunningSince = null;
                history.Pending = true;
                var delay = TimeSpan.FromSeconds(Math.Min(MaxDelay.TotalSeconds, Math.Pow(2, history.Attempt++)));
                LogCrashed(logger, update.ResourceId, update.Snapshot.ExitCode, delay.TotalSeconds);
                _ = RestartAsync(update.ResourceId, history, delay, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RestartAsync(string resourceId, ReplicaHistory history, TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken);
            var result = await commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, cancellationToken);
            history.Restarts++;
            if (!result.Success)
            {
                history.Pending = false;
                LogRestartFailed(logger, resourceId, result.Message);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static bool IsRestartable(IResource resource) =>
        resource is ExecutableResource or ProjectResource
        && !resource.Name.Equals(FleetResources.Migrations, StringComparison.Ordinal)
        && !resource.Name.Equals("aspire-dashboard", StringComparison.Ordinal);

    private sealed class ReplicaHistory
    {
        public DateTimeOffset? RunningSince { get; set; }

        public bool Pending { get; set; }

        public int Attempt { get; set; }

        public int Restarts { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Resource} stopped with exit code {ExitCode}; starting it again in {DelaySeconds} s")]
    private static partial void LogCrashed(ILogger logger, string resource, int? exitCode, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Starting {Resource} again failed: {Message}")]
    private static partial void LogRestartFailed(ILogger logger, string resource, string? message);
}
