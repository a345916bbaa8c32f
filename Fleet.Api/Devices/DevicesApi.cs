using System.Globalization;
using System.Text.Json;
using Fleet.Api.Commands;
using Fleet.Api.Alerts;
using Fleet.Api.Identity;
using Fleet.Api.Infrastructure;
using Fleet.Api.Rollouts;
using Fleet.Api.Status;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Fleet.ServiceDefaults;

namespace Fleet.Api.Devices;

public static class DevicesApi
{
    public static IEndpointRouteBuilder MapDevicesApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(FleetHttp.RegisterRoute, RegisterAsync)
            .WithTags("Devices")
            .WithSummary("Enroll a device with the fleet's enrollment token; the key is shown once. An enrolled serial needs its current key (Authorization: Device) or an operator's re-enrollment allowance")
            .WithBodyLimit(RequestBodyLimits.DeviceMessage)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);

        var device = app.MapGroup("/api/v1/device")
            .WithTags("Device")
            .AddEndpointFilter<DeviceAuthFilter>()
            .WithBodyLimit(RequestBodyLimits.DeviceMessage)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        device.MapPost("/heartbeat", HeartbeatAsync).WithSummary("Report battery, signal, firmware, slot, uptime and location; at most Fleet:Heartbeats:RequestsPerDevicePerMinute (429)")
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        var fleet = app.MapGroup("/api/v1/fleet")
            .WithTags("Fleet")
            .RequireRole(FleetRoles.Viewer);
        fleet.MapGet("/stats", StatsAsync).WithSummary("Device counts by lifecycle, type, hardware revision, region and firmware, and how many were seen recently");
        return app;
    }

    public static async Task<Results<Ok<RegisterDeviceResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        RegisterDeviceRequest request, HttpContext http, DeviceRegistration registration, CancellationToken cancellationToken)
    {
        var errors = DeviceValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var presentedKey = AuthorizationHeader.Credential(http.Request, FleetHttp.DeviceAuthScheme);
        return await registration.RegisterAsync(request, presentedKey, cancellationToken) switch
        {
            RegistrationOutcome.Registered registered => TypedResults.Ok(new RegisterDeviceResponse(
                registered.DeviceId, registered.DeviceKey, registered.Lifecycle.ToString().ToLowerInvariant())),
            RegistrationOutcome.AlreadyEnrolled => TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict, title: "Serial already enrolled",
                detail: "This serial is enrolled. Register again with the device's current key (Authorization: Device <key>), or ask an operator to allow one re-enrollment (POST /api/v1/devices/{id}/re-enrollment)."),
            RegistrationOutcome.Retired => TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden, title: "Device retired", detail: "A retired device cannot register again."),
            _ => TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized, title: "Enrollment token required", detail: "enrollmentToken is not this fleet's enrollment token."),
        };
    }

    public static async Task<Results<Accepted, ValidationProblem, ProblemHttpResult>> HeartbeatAsync(
        HttpContext http, HeartbeatRequest request, CurrentDevice device, DeviceHeartbeats heartbeats, IOptions<FleetOptions> options,
        IOptions<HeartbeatOptions> rateOptions, CancellationToken cancellationToken) =>
        await heartbeats.RecordAsync(device.Id, request, cancellationToken) switch
        {
            HeartbeatOutcome.Recorded => TypedResults.Accepted((string?)null),
            HeartbeatOutcome.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors),
            HeartbeatOutcome.RateLimited limited => TooMany(http, limited.RetryAfter, rateOptions.Value),
            _ => StoreUnavailable.Problem(http, options.Value, "Device state store unavailable", "Redis is out of reach; send the heartbeat again later."),
        };

    private static ProblemHttpResult TooMany(HttpContext http, TimeSpan retryAfter, HeartbeatOptions settings)
    {
        http.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many heartbeats",
            detail: $"At most {settings.RequestsPerDevicePerMinute} heartbeats per device per minute.");
    }

    public static async Task<Ok<FleetStatsResponse>> StatsAsync(
        FleetDbContext db, DeviceStatusTracker status, CancellationToken cancellationToken)
    {
        var devices = db.Devices.AsNoTracking();
        var byLifecycle = await devices.GroupBy(d => d.Lifecycle).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        var byType = await devices.GroupBy(d => d.Type).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        var byRegion = await devices.GroupBy(d => d.Region).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        var byRevision = await devices.GroupBy(d => d.HardwareRevision).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        var byFirmware = await devices.GroupBy(d => d.FirmwareVersion ?? "unknown").Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        var byStatus = await devices.GroupBy(d => d.Connectivity).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        var seenRecently = await status.CountSeenWithinOnlineWindowAsync();

        return TypedResults.Ok(new FleetStatsResponse(
            byLifecycle.Sum(g => g.Count),
            (int)seenRecently,
            byLifecycle.ToDictionary(g => g.Key.ToString().ToLowerInvariant(), g => g.Count),
            byType,
            byRegion,
            byFirmware,
            byStatus.ToDictionary(g => g.Key.ToName(), g => g.Count),
            byRevision));
    }
}
