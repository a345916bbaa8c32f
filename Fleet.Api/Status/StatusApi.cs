using Fleet.Api.Identity;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Api.Status;

public static class StatusApi
{
    public const int MaxPageSize = 500;

    public static IEndpointRouteBuilder MapStatusApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup(FleetHttp.DevicesRoute).WithTags("Devices").RequireRole(FleetRoles.Viewer)
            .MapGet("/{id:guid}/events", EventsAsync)
            .WithSummary("A device's history, newest first: connectivity changes and more.");
        return app;
    }

    public static async Task<Results<Ok<DeviceEventsResponse>, ValidationProblem, NotFound>> EventsAsync(
        Guid id, int? page, int? pageSize, FleetDbContext db, CancellationToken cancellationToken)
    {
        var errors = OperatorQueries.ValidatePaging(page, pageSize, MaxPageSize);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (!await db.DeviceExistsAsync(id, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        var events = db.DeviceEvents.AsNoTracking().Where(e => e.DeviceId == id);
        var total = await events.CountAsync(cancellationToken);
        var items = await events.OrderByDescending(e => e.At).ThenByDescending(e => e.Id)
            .Page(page, pageSize)
            .Select(e => new DeviceEventResponse(e.Id, e.At, e.Kind, e.FromState, e.ToState, e.Detail))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new DeviceEventsResponse(items, total));
    }
}
