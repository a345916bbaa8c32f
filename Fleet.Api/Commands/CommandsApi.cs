using Fleet.Api.Audit;
using Fleet.Api.Devices;
using Fleet.Api.Identity;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Fleet.Api.Commands;

/// <summary>
/// The operators' command API: send a command to one device or a segment (audited), list and read commands with their
/// per-device states and history, and a device's own commands. A segment that matches no active device is a 400 and
/// nothing is stored: a command that can reach nobody is a mistake worth saying, not a record worth keeping.
/// </summary>
public static class CommandsApi
{
    public const int MaxPageSize = 500;

    public static IEndpointRouteBuilder MapCommandsApi(this IEndpointRouteBuilder app)
    {
        var commands = app.MapGroup(CommandsHttp.Route)
            .WithTags("Commands")
            .RequireRole(FleetRoles.Viewer);
        commands.MapPost("/", SendAsync).RequireRole(FleetRoles.Operator)
            .WithSummary("Send reboot, set_interval {seconds}, identify or set_config {key: value} to deviceId or a segment, with ttlSeconds")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        commands.MapGet("/", CommandQueries.ListAsync).WithSummary("Commands, newest first: page, pageSize, deviceId, state (any device in it), name");
        commands.MapGet("/{id:guid}", CommandQueries.DetailAsync).WithSummary("A command with its devices counted by state");
        commands.MapGet("/{id:guid}/devices", CommandQueries.DevicesAsync).WithSummary("Per-device states of a command: page, pageSize, state");
        commands.MapGet("/{id:guid}/devices/{deviceId:guid}/events", CommandQueries.EventsAsync).WithSummary("Every state change of the command on one device, oldest first");
        commands.MapPost("/{id:guid}/cancel", CancelAsync).RequireRole(FleetRoles.Operator).WithSummary("Fail every delivery still queued or sent, with reason \"cancelled by ...\" (body {reason}); audited")
            .ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet($"{FleetHttp.DevicesRoute}/{{id:guid}}/commands", CommandQueries.OfDeviceAsync)
            .WithTags("Commands")
            .RequireRole(FleetRoles.Viewer)
            .WithSummary("A device's commands, newest first, with its state of each: page, pageSize");
        return app;
    }

    public static async Task<Results<Created<CommandResponse>, ValidationProblem, ProblemHttpResult>> SendAsync(
        SendCommandRequest request, HttpRequest http, CommandSender sender, IOptions<CommandOptions> options, CancellationToken cancellationToken)
    {
        var errors = CommandValidation.Validate(request, options.Value, out var valid);
        if (errors.Count > 0 || valid is null)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return await sender.SendAsync(valid, OperatorIdentity.Of(http.HttpContext.User), cancellationToken) switch
        {
            SendOutcome.Sent sent => TypedResults.Created(CommandsHttp.Command(sent.Command.Id),
                CommandQueries.ToResponse(sent.Command, new Dictionary<CommandState, int> { [CommandState.Queued] = sent.Devices })),
            SendOutcome.DeviceNotFound => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Device not found",
                detail: $"deviceId: no device {request.DeviceId}.", extensions: new Dictionary<string, object?> { ["field"] = "deviceId" }),
            SendOutcome.DeviceNotActive inactive => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Device not active",
                detail: $"deviceId: the device is {inactive.Lifecycle.ToName()}; only active devices take commands.",
                extensions: new Dictionary<string, object?> { ["field"] = "deviceId", ["current"] = inactive.Lifecycle.ToName() }),
            SendOutcome.TooManyDevices tooMany => TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["segment"] = [$"matches more than {tooMany.Max} active devices; narrow it."],
            }),
            _ => TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["segment"] = ["matches no active device."] }),
        };
    }

    public static async Task<Results<Ok<CommandResponse>, NotFound, ValidationProblem>> CancelAsync(
        Guid id, CancelCommandRequest? request, HttpRequest http, CommandCancellation cancellation, FleetDbContext db, CancellationToken cancellationToken)
    {
        if (request?.Reason is { Length: > 200 })
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["reason"] = ["must be at most 200 characters."] });
        }

        if (await cancellation.CancelAsync(id, OperatorIdentity.Of(http.HttpContext.User), request?.Reason, cancellationToken) is null)
        {
            return TypedResults.NotFound();
        }

        return await CommandQueries.DetailAsync(id, db, cancellationToken) is { Result: Ok<CommandResponse> ok } ? ok : TypedResults.NotFound();
    }
}
