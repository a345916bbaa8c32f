using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Api.Commands;

/// <summary>The read side of <see cref="CommandsApi"/>: lists, detail with per-state counts, per-device states and history.</summary>
public static class CommandQueries
{
    public static async Task<Results<Ok<PagedList<CommandResponse>>, ValidationProblem>> ListAsync(
        int? page, int? pageSize, Guid? deviceId, string? state, string? name, FleetDbContext db, CancellationToken cancellationToken)
    {
        var errors = OperatorQueries.ValidatePaging(page, pageSize, CommandsApi.MaxPageSize);
        var wanted = ParseState(state, errors);
        if (name is not null && !CommandNames.All.Contains(name))
        {
            errors["name"] = [$"must be one of {string.Join(", ", CommandNames.All)}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var commands = db.Commands.AsNoTracking();
        if (name is not null)
        {
            commands = commands.Where(c => c.Name == name);
        }

        if (deviceId is { } device)
        {
            commands = commands.Where(c => db.CommandDeliveries.Any(d => d.CommandId == c.Id && d.DeviceId == device));
        }

        if (wanted is { } filter)
        {
            commands = commands.Where(c => db.CommandDeliveries.Any(d => d.CommandId == c.Id && d.State == filter));
        }

        var total = await commands.CountAsync(cancellationToken);
        var items = await commands.OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id).Page(page, pageSize).ToListAsync(cancellationToken);
        var ids = items.Select(c => c.Id).ToList();
        var counts = await db.CommandDeliveries.AsNoTracking().Where(d => ids.Contains(d.CommandId))
            .GroupBy(d => new { d.CommandId, d.State }).Select(g => new { g.Key.CommandId, g.Key.State, Count = g.Count() })
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedList<CommandResponse>(
            [.. items.Select(c => ToResponse(c, counts.Where(x => x.CommandId == c.Id).ToDictionary(x => x.State, x => x.Count)))], total));
    }

    public static async Task<Results<Ok<CommandResponse>, NotFound>> DetailAsync(Guid id, FleetDbContext db, CancellationToken cancellationToken)
    {
        var command = await db.Commands.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (command is null)
        {
            return TypedResults.NotFound();
        }

        var counts = await db.CommandDeliveries.AsNoTracking().Where(d => d.CommandId == id)
            .GroupBy(d => d.State).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        return TypedResults.Ok(ToResponse(command, counts));
    }

    public static async Task<Results<Ok<PagedList<CommandDeviceResponse>>, NotFound, ValidationProblem>> DevicesAsync(
        Guid id, int? page, int? pageSize, string? state, FleetDbContext db, CancellationToken cancellationToken)
    {
        var errors = OperatorQueries.ValidatePaging(page, pageSize, CommandsApi.MaxPageSize);
        var wanted = ParseState(state, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (!await db.Commands.AnyAsync(c => c.Id == id, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        var deliveries = db.CommandDeliveries.AsNoTracking().Where(d => d.CommandId == id);
        if (wanted is { } filter)
        {
            deliveries = deliveries.Where(d => d.State == filter);
        }

        var total = await deliveries.CountAsync(cancellationToken);
        var items = await deliveries.OrderBy(d => d.DeviceId).Page(page, pageSize).ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedList<CommandDeviceResponse>(
            [.. items.Select(d => new CommandDeviceResponse(d.DeviceId, d.State.ToName(), d.Attempts, d.LastSentAt, d.Reason, d.UpdatedAt))], total));
    }

    public static async Task<Results<Ok<IReadOnlyList<CommandEventResponse>>, NotFound>> EventsAsync(
        Guid id, Guid deviceId, FleetDbContext db, CancellationToken cancellationToken)
    {
        var events = await db.CommandTransitions.AsNoTracking().Where(t => t.CommandId == id && t.DeviceId == deviceId).OrderBy(t => t.Id)
            .ToListAsync(cancellationToken);
        return events.Count == 0
            ? TypedResults.NotFound()
            : TypedResults.Ok<IReadOnlyList<CommandEventResponse>>([.. events.Select(t => new CommandEventResponse(t.At, t.FromState?.ToName(), t.ToState.ToName(), t.Reason))]);
    }

    public static async Task<Results<Ok<PagedList<DeviceCommandResponse>>, NotFound, ValidationProblem>> OfDeviceAsync(
        Guid id, int? page, int? pageSize, FleetDbContext db, CancellationToken cancellationToken)
    {
        var errors = OperatorQueries.ValidatePaging(page, pageSize, CommandsApi.MaxPageSize);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (!await db.DeviceExistsAsync(id, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        var rows = from d in db.CommandDeliveries.AsNoTracking()
                   join c in db.Commands.AsNoTracking() on d.CommandId equals c.Id
                   where d.DeviceId == id
                   select new { Delivery = d, Command = c };
        var total = await rows.CountAsync(cancellationToken);
        var items = await rows.OrderByDescending(r => r.Command.CreatedAt).ThenByDescending(r => r.Command.Id)
            .Page(page, pageSize).ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedList<DeviceCommandResponse>([.. items.Select(r => new DeviceCommandResponse(
            r.Command.Id, r.Command.Name, CommandDeliveries.ParseParameters(r.Command.Parameters), r.Command.CreatedBy, r.Command.CreatedAt, r.Command.ExpiresAt,
            r.Delivery.State.ToName(), r.Delivery.Attempts, r.Delivery.LastSentAt, r.Delivery.Reason, r.Delivery.UpdatedAt))], total));
    }

    internal static CommandResponse ToResponse(Command command, IReadOnlyDictionary<CommandState, int> counts) => new(
        command.Id,
        command.Name,
        CommandDeliveries.ParseParameters(command.Parameters),
        command.TargetDeviceId,
        command.Segment,
        command.CreatedBy,
        command.CreatedAt,
        command.ExpiresAt,
        counts.Values.Sum(),
        Enum.GetValues<CommandState>().ToDictionary(s => s.ToName(), s => counts.GetValueOrDefault(s)));

    private static CommandState? ParseState(string? state, Dictionary<string, string[]> errors)
    {
        if (state is null)
        {
            return null;
        }

        if (CommandTransitions.TryParse(state, out var parsed))
        {
            return parsed;
        }

        errors["state"] = [$"must be one of {string.Join(", ", Enum.GetValues<CommandState>().Select(s => s.ToName()))}."];
        return null;
    }
}
