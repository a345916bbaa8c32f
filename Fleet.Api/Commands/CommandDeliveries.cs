using System.Text.Json;
using Fleet.Contracts;
using Npgsql;
using NpgsqlTypes;
using StackExchange.Redis;

namespace Fleet.Api.Commands;

/// <summary>A delivery's state change, as stored and published.</summary>
public sealed record CommandChange(Guid CommandId, Guid DeviceId, string Name, CommandState From, CommandState To, string? Reason, DateTimeOffset At)
{
    public CommandStatusMessage ToMessage() => new(CommandId, DeviceId, Name, From.ToName(), To.ToName(), Reason, At);
}

/// <summary>
/// What the device channel does with commands: the outstanding ones for a connecting device, recording a successful
/// send (queued → sent), and the device's reports through <see cref="CommandTransitions"/>. Each change and its
/// transition row are one statement, applied only if the state is still the one the decision was taken from.
/// </summary>
public sealed class CommandDeliveries(NpgsqlDataSource dataSource, IConnectionMultiplexer redis, CommandMetrics metrics, TimeProvider clock)
{
    private const string Outstanding = """
        SELECT c.id, c.name, c.parameters::text, c.expires_at
        FROM command_deliveries d JOIN commands c ON c.id = d.command_id
        WHERE d.device_id = $1 AND d.state IN ('queued', 'sent') AND d.expires_at > $2
        ORDER BY c.created_at, c.id
        """;

    private const string Read = """
        SELECT d.state, c.name FROM command_deliveries d JOIN commands c ON c.id = d.command_id
        WHERE d.command_id = $1 AND d.device_id = $2
        """;

    // $7: a socket send (counts an attempt, stamps last_sent_at); otherwise a report or a server decision.
    private const string Move = """
        WITH moved AS (
            UPDATE command_deliveries SET state = $3, reason = $4, updated_at = $5,
                attempts = attempts + CASE WHEN $7 THEN 1 ELSE 0 END,
                last_sent_at = CASE WHEN $7 THEN $5 ELSE last_sent_at END
            WHERE command_id = $1 AND device_id = $2 AND state = $6
            RETURNING command_id, device_id
        )
        INSERT INTO command_transitions (command_id, device_id, at, from_state, to_state, reason)
        SELECT command_id, device_id, $5, $6, $3, $4 FROM moved
        """;

    /// <summary>The device's queued and sent commands that have not expired, oldest first.</summary>
    public async Task<IReadOnlyList<CommandMessage>> OutstandingAsync(Guid deviceId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Outstanding);
        command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        command.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
        var messages = new List<CommandMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            messages.Add(Message(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return messages;
    }

    public static CommandMessage Message(Guid commandId, string name, string? parametersJson, DateTimeOffset expiresAt) =>
        new(CommandChannel.Command, commandId, name, ParseParameters(parametersJson), expiresAt);

    public static IReadOnlyDictionary<string, JsonElement>? ParseParameters(string? json) =>
        json is null ? null : JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json, JsonSerializerOptions.Web);

    /// <summary>The socket send succeeded: a queued delivery becomes sent (a resend of a sent one changes nothing here).</summary>
    public async Task MarkSentAsync(Guid commandId, Guid deviceId, string name, CancellationToken cancellationToken)
    {
        if (await TryMoveAsync(commandId, deviceId, CommandState.Queued, CommandState.Sent, null, send: true, cancellationToken))
        {
            metrics.Sent();
            await PublishAsync([new CommandChange(commandId, deviceId, name, CommandState.Queued, CommandState.Sent, null, clock.GetUtcNow())]);
        }
    }

    /// <summary>Records a device's report and answers it.</summary>
    public async Task<CommandReportAck> ReportAsync(Guid deviceId, CommandReport report, CancellationToken cancellationToken)
    {
        if (!CommandTransitions.TryParse(report.State, out var to) || !CommandTransitions.Reportable.Contains(to))
        {
            return new CommandReportAck(DeviceChannel.Error, report.CommandId, report.State ?? "", "unreadable",
                $"state must be one of {string.Join(", ", CommandTransitions.Reportable.Select(s => s.ToName()))}.");
        }

        var reason = report.Reason is { Length: > CommandLimits.Reason } lengthy ? lengthy[..CommandLimits.Reason] : report.Reason;
        var outcome = await RecordAsync(deviceId, report.CommandId, to, reason, cancellationToken);
        metrics.Reported(to.ToName(), outcome);
        return new CommandReportAck(CommandChannel.ReportAck, report.CommandId, to.ToName(), outcome);
    }

    private async Task<string> RecordAsync(Guid deviceId, Guid commandId, CommandState to, string? reason, CancellationToken cancellationToken)
    {
        while (true)
        {
            CommandState current;
            string name;
            await using (var read = dataSource.CreateCommand(Read))
            {
                read.Parameters.Add(new NpgsqlParameter { Value = commandId });
                read.Parameters.Add(new NpgsqlParameter { Value = deviceId });
                await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                if (!await reader.ReadAsync(cancellationToken))
                {
                    return "not-found";
                }

                (current, name) = (CommandTransitions.Parse(reader.GetString(0)), reader.GetString(1));
            }

            switch (CommandTransitions.Decide(current, to))
            {
                case CommandMove.Unchanged:
                    return "unchanged";
                case CommandMove.Illegal:
                    return "illegal";
            }

            if (await TryMoveAsync(commandId, deviceId, current, to, reason, send: false, cancellationToken))
            {
                await PublishAsync([new CommandChange(commandId, deviceId, name, current, to, reason, clock.GetUtcNow())]);
                return "recorded";
            }
        }
    }

    private async Task<bool> TryMoveAsync(Guid commandId, Guid deviceId, CommandState from, CommandState to, string? reason, bool send, CancellationToken cancellationToken)
    {
        await using var move = dataSource.CreateCommand(Move);
        move.Parameters.Add(new NpgsqlParameter { Value = commandId });
        move.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        move.Parameters.Add(new NpgsqlParameter { Value = to.ToName() });
        move.Parameters.Add(new NpgsqlParameter { Value = (object?)reason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Varchar });
        move.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
        move.Parameters.Add(new NpgsqlParameter { Value = from.ToName() });
        move.Parameters.Add(new NpgsqlParameter { Value = send });
        return await move.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Tells the UI (Redis pub/sub, <see cref="FleetChannels.Commands"/>); a lost message costs a live update, not state.</summary>
    public async Task PublishAsync(IReadOnlyList<CommandChange> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }

        var subscriber = redis.GetSubscriber();
        var channel = RedisChannel.Literal(FleetChannels.Commands);
        await Task.WhenAll(changes.Select(change => subscriber.PublishAsync(channel, JsonSerializer.Serialize(change.ToMessage(), JsonSerializerOptions.Web))));
    }
}
