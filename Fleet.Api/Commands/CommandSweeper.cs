using Fleet.Api.Infrastructure;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Fleet.Api.Commands;

/// <summary>What one sweep did.</summary>
public sealed record CommandSweepReport(int Expired, int Unacknowledged, int Resent);

/// <summary>
/// Every interval, on the replica holding the leader lock: expires deliveries whose time-to-live passed (queued or sent),
/// fails sent ones whose last allowed send went unanswered ("no acknowledgement"), and resends the others that are past
/// the acknowledgement timeout. Each kind of work is one statement over a partial index of due rows (FOR UPDATE SKIP
/// LOCKED, bounded per sweep), so a sweep costs what is due, not what the fleet holds.
/// </summary>
public sealed partial class CommandSweeper(
    NpgsqlDataSource dataSource,
    DeviceChannelHub channel,
    CommandDeliveries deliveries,
    CommandMetrics metrics,
    LeaderLock leaderLock,
    IOptions<CommandOptions> options,
    TimeProvider clock,
    ILogger<CommandSweeper> logger) : BackgroundService
{
    public const string ExpiredReason = "time-to-live passed";
    public const string UnacknowledgedReason = "no acknowledgement";

    private const string Expire = """
        WITH due AS (
            SELECT command_id, device_id, state FROM command_deliveries
            WHERE state IN ('queued', 'sent') AND expires_at <= $1
            ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
        ), moved AS (
            UPDATE command_deliveries c SET state = 'expired', reason = $3, updated_at = $1
            FROM due WHERE c.command_id = due.command_id AND c.device_id = due.device_id
            RETURNING c.command_id, c.device_id, due.state AS from_state
        ), logged AS (
            INSERT INTO command_transitions (command_id, device_id, at, from_state, to_state, reason)
            SELECT command_id, device_id, $1, from_state, 'expired', $3 FROM moved
        )
        SELECT m.command_id, m.device_id, m.from_state, c.name, NULL::text, NULL::timestamptz, 0
        FROM moved m JOIN commands c ON c.id = m.command_id
        """;

    // $3: the acknowledgement cutoff (now - AckTimeout); $4: MaxAttempts.
    private const string FailUnacknowledged = """
        WITH due AS (
            SELECT command_id, device_id FROM command_deliveries
            WHERE state = 'sent' AND last_sent_at <= $3 AND attempts >= $4
            ORDER BY last_sent_at LIMIT $2 FOR UPDATE SKIP LOCKED
        ), moved AS (
            UPDATE command_deliveries c SET state = 'failed', reason = $5, updated_at = $1
            FROM due WHERE c.command_id = due.command_id AND c.device_id = due.device_id
            RETURNING c.command_id, c.device_id
        ), logged AS (
            INSERT INTO command_transitions (command_id, device_id, at, from_state, to_state, reason)
            SELECT command_id, device_id, $1, 'sent', 'failed', $5 FROM moved
        )
        SELECT m.command_id, m.device_id, 'sent', c.name, NULL::text, NULL::timestamptz, 0
        FROM moved m JOIN commands c ON c.id = m.command_id
        """;

    private const string Resend = """
        WITH due AS (
            SELECT command_id, device_id FROM command_deliveries
            WHERE state = 'sent' AND last_sent_at <= $3 AND attempts < $4 AND expires_at > $1
            ORDER BY last_sent_at LIMIT $2 FOR UPDATE SKIP LOCKED
        ), moved AS (
            UPDATE command_deliveries c SET attempts = c.attempts + 1, last_sent_at = $1, updated_at = $1
            FROM due WHERE c.command_id = due.command_id AND c.device_id = due.device_id
            RETURNING c.command_id, c.device_id, c.attempts
        ), logged AS (
            INSERT INTO command_transitions (command_id, device_id, at, from_state, to_state, reason)
            SELECT command_id, device_id, $1, 'sent', 'sent', format('resent: no report within the acknowledgement timeout (attempt %s)', attempts) FROM moved
        )
        SELECT m.command_id, m.device_id, 'sent', c.name, c.parameters::text, c.expires_at, m.attempts
        FROM moved m JOIN commands c ON c.id = m.command_id
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.SweeperEnabled)
        {
            return;
        }

        var interval = options.Value.SweepInterval;
        using var timer = new PeriodicTimer(interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await leaderLock.TryHoldAsync("command-sweeper", interval * 5 + TimeSpan.FromSeconds(2)))
                {
                    await SweepAsync(stoppingToken);
                }
            }
            catch (Exception exception) when (exception is RedisException or NpgsqlException or TimeoutException)
            {
                LogSweepFailed(logger, exception);
            }
        }
    }

    /// <summary>One sweep; public so tests can drive it without waiting for the timer.</summary>
    public async Task<CommandSweepReport> SweepAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var settings = options.Value;
        var cutoff = now - settings.AckTimeout;

        var expired = await RunAsync(Expire, now, [ExpiredReason], cancellationToken);
        metrics.Expired(expired.Count);
        await deliveries.PublishAsync([.. expired.Select(row => row.Change(CommandState.Expired, ExpiredReason, now))]);

        var failed = await RunAsync(FailUnacknowledged, now, [cutoff, settings.MaxAttempts, UnacknowledgedReason], cancellationToken);
        metrics.Unacknowledged(failed.Count);
        await deliveries.PublishAsync([.. failed.Select(row => row.Change(CommandState.Failed, UnacknowledgedReason, now))]);

        var resent = await RunAsync(Resend, now, [cutoff, settings.MaxAttempts], cancellationToken);
        metrics.Resent(resent.Count);
        foreach (var command in resent.GroupBy(row => row.CommandId))
        {
            var first = command.First();
            var message = CommandDeliveries.Message(first.CommandId, first.Name, first.ParametersJson, first.ExpiresAt!.Value);
            await channel.SendCommandAsync(message, [.. command.Select(row => row.DeviceId)], cancellationToken);
        }

        return new CommandSweepReport(expired.Count, failed.Count, resent.Count);
    }

    private async Task<List<DueRow>> RunAsync(string sql, DateTimeOffset now, object[] more, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = options.Value.SweepBatchSize });
        foreach (var value in more)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        var rows = new List<DueRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new DueRow(
                reader.GetGuid(0), reader.GetGuid(1), CommandTransitions.Parse(reader.GetString(2)), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return rows;
    }

    private sealed record DueRow(Guid CommandId, Guid DeviceId, CommandState From, string Name, string? ParametersJson, DateTimeOffset? ExpiresAt)
    {
        public CommandChange Change(CommandState to, string reason, DateTimeOffset at) => new(CommandId, DeviceId, Name, From, to, reason, at);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Command sweep failed; the next one retries")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
