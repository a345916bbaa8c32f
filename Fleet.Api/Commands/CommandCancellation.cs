using Fleet.Api.Audit;
using Fleet.Api.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Fleet.Api.Commands;

/// <summary>
/// An operator withdraws a command: every delivery still queued or sent fails with the reason "cancelled" (the
/// lifecycle has no state of its own for it; a device that already ran it may still report, and is told "illegal").
/// The changes, their transitions and the audit entry commit together.
/// </summary>
public sealed class CommandCancellation(FleetDbContext db, CommandDeliveries deliveries, TimeProvider clock)
{
    private const string Cancel = """
        WITH due AS (
            SELECT command_id, device_id, state FROM command_deliveries
            WHERE command_id = $1 AND state IN ('queued', 'sent') FOR UPDATE
        ), moved AS (
            UPDATE command_deliveries c SET state = 'failed', reason = $2, updated_at = $3
            FROM due WHERE c.command_id = due.command_id AND c.device_id = due.device_id
            RETURNING c.device_id, due.state AS from_state
        ), logged AS (
            INSERT INTO command_transitions (command_id, device_id, at, from_state, to_state, reason)
            SELECT $1, device_id, $3, from_state, 'failed', $2 FROM moved
        )
        SELECT device_id, from_state FROM moved
        """;

    /// <summary>The command, or null when there is none; cancelling twice changes nothing the second time.</summary>
    public async Task<Command?> CancelAsync(Guid id, string actor, string? note, CancellationToken cancellationToken)
    {
        var command = await db.Commands.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (command is null)
        {
            return null;
        }

        var now = clock.GetUtcNow();
        var reason = Truncate(string.IsNullOrWhiteSpace(note) ? $"cancelled by {actor}" : $"cancelled by {actor}: {note}", CommandLimits.Reason);
        var changes = new List<CommandChange>();
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async cancellation =>
        {
            db.ChangeTracker.Clear();
            changes.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellation);
            await using (var cancel = new NpgsqlCommand(Cancel, (NpgsqlConnection)db.Database.GetDbConnection()))
            {
                cancel.Parameters.Add(new NpgsqlParameter { Value = id });
                cancel.Parameters.Add(new NpgsqlParameter { Value = reason });
                cancel.Parameters.Add(new NpgsqlParameter { Value = now });
                await using var reader = await cancel.ExecuteReaderAsync(cancellation);
                while (await reader.ReadAsync(cancellation))
                {
                    changes.Add(new CommandChange(id, reader.GetGuid(0), command.Name, CommandTransitions.Parse(reader.GetString(1)), CommandState.Failed, reason, now));
                }
            }

            db.AuditEntries.Add(new AuditEntry
            {
                At = now, Actor = actor, Action = "cancel", TargetType = "command", TargetId = id,
                Reason = Truncate($"{changes.Count} outstanding deliveries failed{(string.IsNullOrWhiteSpace(note) ? "" : $": {note}")}", AuditEntry.ReasonLength),
            });
            await db.SaveChangesAsync(cancellation);
            await transaction.CommitAsync(cancellation);
        }, cancellationToken);

        await deliveries.PublishAsync(changes);
        return command;
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];
}
