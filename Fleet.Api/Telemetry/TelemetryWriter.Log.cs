using StackExchange.Redis;

namespace Fleet.Api.Telemetry;

public sealed partial class TelemetryWriter
{
    // A lane that found the log empty looks again after this; one whose group commit failed waits RetryDelay.
    private static readonly TimeSpan LogPollInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A lane when requests are acknowledged once logged (<see cref="TelemetryLog"/>): it takes entries from the log (its
    /// own unacknowledged ones first, then those a stopped replica left for longer than LogClaimAfter, then new ones),
    /// stores them in one group commit and only then removes them from the log.
    /// </summary>
    private async Task RunLoggedLaneAsync(int index, CancellationToken stoppingToken)
    {
        var lane = new Lane(options.Value.WriterReplanInterval, fleet.Value.DeviceStoreTimeout);
        var consumer = $"{Environment.MachineName}:{Environment.ProcessId}:{index}";
        var claimEvery = options.Value.LogClaimAfter / 2;
        var (grouped, ownPending, nextClaim) = (false, true, DateTime.MinValue);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                IReadOnlyList<LoggedReadings> entries = [];
                try
                {
                    if (!grouped)
                    {
                        await log.EnsureGroupAsync();
                        grouped = true;
                    }

                    if (ownPending)
                    {
                        entries = await log.ReadAsync(consumer, ownPending: true, options.Value.LogReadCount);
                        ownPending = entries.Count > 0;
                    }

                    if (entries.Count == 0 && DateTime.UtcNow >= nextClaim)
                    {
                        nextClaim = DateTime.UtcNow + claimEvery;
                        entries = await log.ClaimStaleAsync(consumer, options.Value.LogReadCount);
                    }

                    if (entries.Count == 0)
                    {
                        entries = await log.ReadAsync(consumer, ownPending: false, options.Value.LogReadCount);
                    }
                }
                catch (RedisException exception)
                {
                    // Redis restarted empty, or the stream was deleted: the group goes with it (NOGROUP), so make it again.
                    grouped = false;
                    LogLogUnavailable(logger, exception);
                    await Task.Delay(RetryDelay, stoppingToken);
                    continue;
                }

                if (entries.Count == 0)
                {
                    await Task.Delay(LogPollInterval, stoppingToken);
                }
                else if (!await StoreLoggedAsync(lane, entries, stoppingToken))
                {
                    // They stay pending for this consumer, which reads them again first.
                    ownPending = true;
                    await Task.Delay(RetryDelay, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await lane.ResetAsync();
            await log.ForgetAsync(consumer);
        }
    }

    /// <summary>Stores the entries' readings in one group commit, then removes the entries from the log; false if either failed.</summary>
    private async Task<bool> StoreLoggedAsync(Lane lane, IReadOnlyList<LoggedReadings> entries, CancellationToken cancellationToken)
    {
        var batch = new List<PendingWrite>(entries.Count);
        try
        {
            var rows = 0;
            foreach (var entry in entries)
            {
                if (entry.DeviceId is { } device && EncodedReadings.FromLogEntry(device, entry.Readings.Span) is { } readings)
                {
                    batch.Add(new PendingWrite(readings));
                    rows += readings.Readings;
                }
                else
                {
                    LogEntryDropped(logger, entry.Id.ToString());
                }
            }

            if (batch.Count > 0 && await WriteBatchAsync(lane, batch, rows, cancellationToken) is not null)
            {
                return false;
            }

            // Committed: an entry the log still held after a failure here would be stored again and admitted as nothing.
            await log.RemoveAsync(entries);
            return true;
        }
        catch (RedisException exception)
        {
            LogLogUnavailable(logger, exception);
            return false;
        }
        finally
        {
            batch.ForEach(pending => pending.Readings.Dispose());
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The telemetry log in Redis is unavailable; the writer tries again")]
    private static partial void LogLogUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Telemetry log entry {Id} does not hold readings this API wrote; it is dropped")]
    private static partial void LogEntryDropped(ILogger logger, string id);
}
