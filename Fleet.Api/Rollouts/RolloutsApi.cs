using Fleet.Api.Audit;
using Fleet.Api.Identity;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Api.Rollouts;

/// <summary>The operators' rollout API: create, preview, read, act (each action audited), gates and per-device states.</summary>
public static class RolloutsApi
{
    public const int MaxPageSize = 500;

    public static IEndpointRouteBuilder MapRolloutsApi(this IEndpointRouteBuilder app)
    {
        var rollouts = app.MapGroup(RolloutHttp.RolloutsRoute)
            .WithTags("Rollouts")
            .RequireRole(FleetRoles.Viewer);
        rollouts.MapPost("/", CreateAsync).RequireRole(FleetRoles.Operator).WithSummary("Create a draft rollout: release × target × plan; incompatible devices are excluded and counted")
            .WithBodyLimit(RequestBodyLimits.RolloutTarget);
        rollouts.MapPost("/preview", PreviewAsync).RequireRole(FleetRoles.Operator).WithSummary("How many active devices a target matches and how many can take the release")
            .WithBodyLimit(RequestBodyLimits.RolloutTarget);
        rollouts.MapGet("/", ListAsync).WithSummary("Rollouts, newest first: page, pageSize, state");
        rollouts.MapGet("/{id:guid}", DetailAsync).WithSummary("A rollout with its devices counted by update state, overall and phase by phase");
        rollouts.MapGet("/{id:guid}/gates", GatesAsync).WithSummary("Gate evaluations, newest first, with every number they used");
        rollouts.MapGet("/{id:guid}/devices", DevicesAsync).WithSummary("Per-device update states with hardware revision and failure reason, by bucket: page, pageSize, state (comma-separated), failed");
        foreach (var action in Enum.GetValues<RolloutAction>())
        {
            rollouts.MapPost($"/{{id:guid}}/{action.ToName()}",
                    (Guid id, RolloutActionRequest? request, HttpRequest http, RolloutCommands commands, FleetDbContext db, CancellationToken cancellationToken) =>
                        ActAsync(id, action, request, http, commands, db, cancellationToken))
                .WithName($"Rollout{action}")
                .WithSummary($"{action} the rollout; body {{reason}}; an illegal move is a 409")
                .RequireRole(FleetRoles.Operator)
                .ProducesProblem(StatusCodes.Status404NotFound)
                .ProducesProblem(StatusCodes.Status409Conflict);
        }

        return app;
    }

    public static async Task<Results<Created<RolloutResponse>, ValidationProblem>> CreateAsync(
        CreateRolloutRequest request, HttpRequest http, RolloutCommands commands, FleetDbContext db, CancellationToken cancellationToken)
    {
        var target = request.Target ?? new RolloutTarget();
        var plan = RolloutPlanSettings.From(request.Plan);
        var errors = RolloutTargeting.Validate(target, request.GreenFirst);
        foreach (var (field, messages) in plan.Validate())
        {
            errors[field] = messages;
        }

        if (request.Name is { Length: > 128 })
        {
            errors["name"] = ["must be at most 128 characters."];
        }

        var release = await db.FirmwareReleases.AsNoTracking().SingleOrDefaultAsync(r => r.Id == request.ReleaseId, cancellationToken);
        if (release is null)
        {
            errors["releaseId"] = [$"no firmware release {request.ReleaseId}."];
        }

        if (errors.Count > 0 || release is null)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var resolution = await RolloutTargeting.ResolveAsync(db, target, release, cancellationToken);
        // A k the operator chose must be met in every stratum; the default takes a whole stratum that has fewer.
        if (request.Plan?.MinPerStratum is > 0 and var perStratum && CohortStrata.Smallest(resolution.Compatible) is { } smallest && smallest.Devices < perStratum)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["plan.minPerStratum"] = [$"asks for {perStratum} devices per hardware revision × region in the first phase, but {smallest.Stratum} has {smallest.Devices} compatible {(smallest.Devices == 1 ? "device" : "devices")} in the target: lower it to {smallest.Devices} or less, or narrow the target."],
            });
        }

        var rollout = await commands.CreateAsync(request with { Target = target }, release, plan, resolution, OperatorIdentity.Of(http.HttpContext.User), cancellationToken);
        return TypedResults.Created(RolloutHttp.Rollout(rollout.Id), await RolloutViews.ToResponseAsync(db, rollout, cancellationToken));
    }

    public static async Task<Results<Ok<RolloutPreviewResponse>, ValidationProblem>> PreviewAsync(
        RolloutPreviewRequest request, FleetDbContext db, CancellationToken cancellationToken)
    {
        var target = request.Target ?? new RolloutTarget();
        var errors = RolloutTargeting.Validate(target, greenFirst: false);
        var release = await db.FirmwareReleases.AsNoTracking().SingleOrDefaultAsync(r => r.Id == request.ReleaseId, cancellationToken);
        if (release is null)
        {
            errors["releaseId"] = [$"no firmware release {request.ReleaseId}."];
        }

        if (errors.Count > 0 || release is null)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var resolution = await RolloutTargeting.ResolveAsync(db, target, release, cancellationToken);
        var smallest = CohortStrata.Smallest(resolution.Compatible) is { } stratum
            ? new StratumSize(stratum.Stratum.HardwareRevision, stratum.Stratum.Region, stratum.Devices)
            : null;
        return TypedResults.Ok(new RolloutPreviewResponse(resolution.Matching, resolution.Compatible.Count, resolution.Incompatible, resolution.IncompatibleBy, smallest));
    }

    public static async Task<Results<Ok<PagedList<RolloutResponse>>, ValidationProblem>> ListAsync(
        int? page, int? pageSize, string? state, FleetDbContext db, CancellationToken cancellationToken)
    {
        var errors = OperatorQueries.ValidatePaging(page, pageSize, MaxPageSize);
        RolloutState? wanted = null;
        if (state is not null)
        {
            if (RolloutTransitions.TryParse(state, out var parsed))
            {
                wanted = parsed;
            }
            else
            {
                errors["state"] = ["must be one of draft, running, paused, completed, aborted, rolled-back."];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var rollouts = db.Rollouts.AsNoTracking();
        if (wanted is { } filter)
        {
            rollouts = rollouts.Where(r => r.State == filter);
        }

        var total = await rollouts.CountAsync(cancellationToken);
        var items = await rollouts.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Page(page, pageSize).ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedList<RolloutResponse>(await RolloutViews.ToResponsesAsync(db, items, cancellationToken), total));
    }

    public static async Task<Results<Ok<RolloutResponse>, NotFound>> DetailAsync(Guid id, FleetDbContext db, CancellationToken cancellationToken) =>
        await db.Rollouts.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken) is { } rollout
            ? TypedResults.Ok(await RolloutViews.ToResponseAsync(db, rollout, cancellationToken))
            : TypedResults.NotFound();

    public static async Task<Results<Ok<PagedList<GateEvaluationResponse>>, NotFound, ValidationProblem>> GatesAsync(
        Guid id, int? page, int? pageSize, FleetDbContext db, CancellationToken cancellationToken)
    {
        var errors = OperatorQueries.ValidatePaging(page, pageSize, MaxPageSize);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (!await db.Rollouts.AnyAsync(r => r.Id == id, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        var gates = db.GateEvaluations.AsNoTracking().Where(g => g.RolloutId == id);
        var total = await gates.CountAsync(cancellationToken);
        var items = await gates.OrderByDescending(g => g.Id).Page(page, pageSize).ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedList<GateEvaluationResponse>([.. items.Select(RolloutViews.ToResponse)], total));
    }

    /// <summary>
    /// Devices of the rollout. <c>state</c>: one update state or several separated by commas; <c>failed</c>: only the
    /// devices whose update failed, rolled back since or not.
    /// </summary>
    public static async Task<Results<Ok<PagedList<RolloutDeviceResponse>>, NotFound, ValidationProblem>> DevicesAsync(
        Guid id, int? page, int? pageSize, string? state, bool? failed, FleetDbContext db, CancellationToken cancellationToken)
    {
        var errors = OperatorQueries.ValidatePaging(page, pageSize, MaxPageSize);
        var wanted = new List<DeviceUpdateState>();
        foreach (var name in state?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [])
        {
            if (DeviceUpdateTransitions.TryParse(name, out var parsed))
            {
                wanted.Add(parsed);
            }
            else
            {
                errors["state"] = [$"must be one or more of {string.Join(", ", Enum.GetValues<DeviceUpdateState>().Select(s => s.ToName()))}, separated by commas."];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (!await db.Rollouts.AnyAsync(r => r.Id == id, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        var devices = db.RolloutDevices.AsNoTracking().Where(d => d.RolloutId == id);
        if (wanted.Count > 0)
        {
            devices = devices.Where(d => wanted.Contains(d.State));
        }

        if (failed is true)
        {
            devices = devices.Where(d => d.FailureReason != null);
        }

        var total = await devices.CountAsync(cancellationToken);
        var items = await devices
            .Join(db.Devices, update => update.DeviceId, device => device.Id, (update, device) => new { Update = update, device.HardwareRevision, Name = device.Name ?? device.Serial })
            .OrderBy(d => d.Update.Bucket).ThenBy(d => d.Update.DeviceId).Page(page, pageSize)
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedList<RolloutDeviceResponse>([.. items.Select(d => RolloutViews.ToResponse(d.Update, d.HardwareRevision, d.Name))], total));
    }

    public static async Task<Results<Ok<RolloutResponse>, NotFound, ValidationProblem, ProblemHttpResult>> ActAsync(
        Guid id, RolloutAction action, RolloutActionRequest? request, HttpRequest http, RolloutCommands commands, FleetDbContext db, CancellationToken cancellationToken)
    {
        if (request?.Reason is { Length: > AuditEntry.ReasonLength })
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["reason"] = [$"must be at most {AuditEntry.ReasonLength} characters."] });
        }

        var outcome = await commands.ApplyAsync(id, action, OperatorIdentity.Of(http.HttpContext.User), request?.Reason, cancellationToken);
        return outcome switch
        {
            RolloutActionOutcome.Applied applied => TypedResults.Ok(await RolloutViews.ToResponseAsync(db, applied.Rollout, cancellationToken)),
            RolloutActionOutcome.Refused refused => TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Rollout action not allowed",
                detail: refused.Reason,
                extensions: new Dictionary<string, object?> { ["state"] = refused.Current.ToName(), ["action"] = action.ToName() }),
            RolloutActionOutcome.DevicesBusy busy => TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Devices are in another rollout",
                detail: $"{busy.Devices} devices of this rollout are in another running or paused rollout; finish or abort that one first.",
                extensions: new Dictionary<string, object?> { ["devices"] = busy.Devices, ["action"] = action.ToName() }),
            RolloutActionOutcome.NoCompatibleDevices none => TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "No compatible devices",
                detail: none.Matching == 0
                    ? "The target matches no active device; change the target and create the rollout again."
                    : $"None of the {none.Matching} devices the target matches can take the release (device type, hardware revision or current version); change the target or the release.",
                extensions: new Dictionary<string, object?> { ["matching"] = none.Matching, ["compatible"] = 0, ["action"] = action.ToName() }),
            _ => TypedResults.NotFound(),
        };
    }
}
