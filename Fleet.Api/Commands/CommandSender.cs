using Fleet.Api.Audit;
using Fleet.Api.Devices;
using Fleet.Api.Infrastructure;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Fleet.Api.Commands;

/// <summary>What became of a command an operator sent.</summary>
public abstract record SendOutcome
{
    public sealed record Sent(Command Command, int Devices) : SendOutcome;

    public sealed record DeviceNotFound : SendOutcome;

    public sealed record DeviceNotActive(DeviceLifecycle Lifecycle) : SendOutcome;

    /// <summary>The segment matches no active device: nothing is stored.</summary>
    public sealed record NoDevices : SendOutcome;

    public sealed record TooManyDevices(int Max) : SendOutcome;
}

/// <summary>
/// Stores a command, resolves its target once to the matching active devices and queues one delivery per device
/// (set-based SQL: one statement for the deliveries and their first transition, whatever the segment's size), audits
/// it in the same transaction, then hands it to the device channel for the devices connected now.
/// </summary>
public sealed class CommandSender(FleetDbContext db, DeviceChannelHub channel, CommandMetrics metrics, IOptions<CommandOptions> options, TimeProvider clock)
{
    private const string Matching = """
        d.lifecycle = 'Active'
        AND ($1::text[] IS NULL OR d.type = ANY($1))
        AND ($2::text[] IS NULL OR d.region = ANY($2))
        AND ($3::text[] IS NULL OR d.hardware_revision = ANY($3))
        AND ($4::text[] IS NULL OR d.tags && $4)
        AND ($5::text IS NULL OR d.environment = $5)
        AND ($6::uuid IS NULL OR d.id = $6)
        """;

    private const string Count = $"SELECT count(*)::int FROM (SELECT 1 FROM devices d WHERE {Matching} LIMIT $7) s";

    private const string Queue = $"""
        WITH delivered AS (
            INSERT INTO command_deliveries (command_id, device_id, state, attempts, expires_at, updated_at)
            SELECT $7, d.id, 'queued', 0, $8, $9 FROM devices d WHERE {Matching}
            RETURNING device_id
        )
        INSERT INTO command_transitions (command_id, device_id, at, from_state, to_state)
        SELECT $7, device_id, $9, NULL, 'queued' FROM delivered
        RETURNING device_id
        """;

    public async Task<SendOutcome> SendAsync(ValidCommand request, string actor, CancellationToken cancellationToken)
    {
        if (request.DeviceId is { } deviceId)
        {
            var lifecycle = await db.Devices.Where(d => d.Id == deviceId).Select(d => (DeviceLifecycle?)d.Lifecycle).SingleOrDefaultAsync(cancellationToken);
            if (lifecycle is null)
            {
                return new SendOutcome.DeviceNotFound();
            }

            if (lifecycle != DeviceLifecycle.Active)
            {
                return new SendOutcome.DeviceNotActive(lifecycle.Value);
            }
        }
        else
        {
            var max = options.Value.MaxDevices;
            var matching = await CountAsync(request, max + 1, cancellationToken);
            if (matching == 0)
            {
                return new SendOutcome.NoDevices();
            }

            if (matching > max)
            {
                return new SendOutcome.TooManyDevices(max);
            }
        }

        var now = clock.GetUtcNow();
        var command = new Command
        {
            Id = Guid.CreateVersion7(now),
            Name = request.Name,
            Parameters = request.ParametersJson,
            TargetDeviceId = request.DeviceId,
            Segment = request.Segment,
            CreatedBy = actor,
            CreatedAt = now,
            ExpiresAt = now + request.TimeToLive,
        };

        var devices = new List<Guid>();
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async cancellation =>
        {
            db.ChangeTracker.Clear();
            devices.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellation);
            db.Commands.Add(command);
            await db.SaveChangesAsync(cancellation);
            await QueueAsync(command, request, devices, cancellation);
            db.AuditEntries.Add(new AuditEntry
            {
                At = now,
                Actor = actor,
                Action = "send",
                TargetType = "command",
                TargetId = command.Id,
                Reason = $"{command.Name} to {(request.DeviceId is { } id ? $"device {id}" : $"{devices.Count} devices of a segment")}, expires {command.ExpiresAt:O}",
            });
            await db.SaveChangesAsync(cancellation);
            await transaction.CommitAsync(cancellation);
        }, cancellationToken);

        metrics.Created(command.Name, devices.Count);
        await channel.SendCommandAsync(CommandDeliveries.Message(command.Id, command.Name, command.Parameters, command.ExpiresAt), devices, cancellationToken);
        return new SendOutcome.Sent(command, devices.Count);
    }

    private async Task<int> CountAsync(ValidCommand request, int limit, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(Count, (NpgsqlConnection)db.Database.GetDbConnection());
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            AddCriteria(command, request);
            command.Parameters.Add(new NpgsqlParameter { Value = limit });
            return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>On the transaction's connection: one delivery (queued) and its first transition per matching device.</summary>
    private async Task QueueAsync(Command command, ValidCommand request, List<Guid> devices, CancellationToken cancellationToken)
    {
        await using var queue = new NpgsqlCommand(Queue, (NpgsqlConnection)db.Database.GetDbConnection());
        AddCriteria(queue, request);
        queue.Parameters.Add(new NpgsqlParameter { Value = command.Id });
        queue.Parameters.Add(new NpgsqlParameter { Value = command.ExpiresAt });
        queue.Parameters.Add(new NpgsqlParameter { Value = command.CreatedAt });
        await using var reader = await queue.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            devices.Add(reader.GetGuid(0));
        }
    }

    private static void AddCriteria(NpgsqlCommand command, ValidCommand request)
    {
        var segment = request.Segment ?? new CommandSegment();
        command.Parameters.Add(List(segment.Types));
        command.Parameters.Add(List(segment.Regions));
        command.Parameters.Add(List(segment.HardwareRevisions));
        command.Parameters.Add(List(segment.Tags));
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)segment.Environment ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)request.DeviceId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
    }

    private static NpgsqlParameter List(IReadOnlyList<string>? values) => new()
    {
        Value = values is { Count: > 0 } ? values.ToArray() : (object)DBNull.Value,
        NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
    };
}
