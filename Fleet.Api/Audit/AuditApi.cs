using Fleet.Api.Identity;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Api.Audit;

/// <summary><c>GET /api/v1/audit</c>: the audit log, newest first, optionally for one target or action.</summary>
public static class AuditApi
{
    public const int MaxPageSize = 500;

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(RolloutHttp.AuditRoute, ListAsync)
            .WithTags("Audit")
            .RequireRole(FleetRoles.Viewer)
            .WithSummary("Audit entries, newest first: page, pageSize, actor, action, targetId, from, to");
        return app;
    }

    public static async Task<Results<Ok<PagedList<AuditEntryResponse>>, ValidationProblem>> ListAsync(
        int? page, int? pageSize, Guid? targetId, string? action, string? actor, DateTimeOffset? from, DateTimeOffset? to,
        FleetDbContext db, CancellationToken cancellationToken)
    {
        var errors = OperatorQueries.ValidatePaging(page, pageSize, MaxPageSize);
        if (from > to)
        {
            errors["from"] = ["must not be after to."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var entries = db.AuditEntries.AsNoTracking();
        if (targetId is { } target)
        {
            entries = entries.Where(e => e.TargetId == target);
        }

        if (!string.IsNullOrEmpty(action))
        {
            entries = entries.Where(e => e.Action == action);
        }

        if (!string.IsNullOrEmpty(actor))
        {
            entries = entries.Where(e => e.Actor == actor);
        }

        // PostgreSQL's timestamptz takes UTC only: a time given with another offset is the same instant in UTC.
        if (from?.ToUniversalTime() is { } since)
        {
            entries = entries.Where(e => e.At >= since);
        }

        if (to?.ToUniversalTime() is { } until)
        {
            entries = entries.Where(e => e.At < until);
        }

        var total = await entries.CountAsync(cancellationToken);
        var items = await entries.OrderByDescending(e => e.Id).Page(page, pageSize)
            .Select(e => new AuditEntryResponse(e.Id, e.At, e.Actor, e.Action, e.TargetType, e.TargetId, e.Reason))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedList<AuditEntryResponse>(items, total));
    }
}
