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
        fleet.MapGet("/stats", StatsAsync).WithSummary("Device counts by lifecycle, type, region and firmware, and how many were seen recently");
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

    /// <summary>
    /// Latest values go to Redis (hot, shared by replicas); the status tracker records last-seen and connectivity;
    /// the registry mirror catches up within its interval.
    /// </summary>
    public static async Task<Results<Accepted, ValidationProblem, ProblemHttpResult>> HeartbeatAsync(
        HttpContext http, HeartbeatRequest request, CurrentDevice device, [AsParameters] HeartbeatServices services, CancellationToken cancellationToken)
    {
        if (!services.Redis.IsConnected)
        {
            // Answered at once: commands for a Redis that is away would wait in the client's backlog for its timeout.
            return StoreUnavailable.Problem(http, services.Options.Value, "Device state store unavailable", "Redis is out of reach; send the heartbeat again later.");
        }

        if (services.RateLimiter.RetryAfter(device.Id) is { } retryAfter)
        {
            http.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many heartbeats",
                detail: $"At most {services.RateOptions.Value.RequestsPerDevicePerMinute} heartbeats per device per minute.");
        }

        var errors = DeviceValidation.Validate(request);
        DeviceConfig.Validate(request.Config, "config", errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var now = services.Clock.GetUtcNow();
        var fields = new List<HashEntry>
        {
            new("battery", Number(request.Battery)),
            new("signal", request.Signal),
            new("firmware", request.Firmware),
            new("slot", request.Slot),
            new("uptimeS", request.UptimeS),
            new("seenAt", now.ToUnixTimeMilliseconds()),
        };
        if (request.Location is { } location)
        {
            fields.Add(new("lat", Number(location.Lat)));
            fields.Add(new("lon", Number(location.Lon)));
        }

        // A heartbeat without config leaves the last reported settings in place (devices may report them only on change).
        if (request.Config is { } config)
        {
            fields.Add(new(DeviceConfig.LatestField, JsonSerializer.Serialize(config)));
        }

        // Issued in this order on one connection, so the evaluator never sees the mark before the values.
        var latest = services.Redis.GetDatabase().HashSetAsync(RedisKeys.Latest(device.Id), [.. fields]);
        var marked = services.Alerts.MarkChangedAsync([device.Id]);
        var booted = services.Health.RecordBootAsync(device.Id, now, request.UptimeS);
        await Task.WhenAll(latest, marked, booted);
        services.Mirror.Record(device.Id, request, now);
        if (await services.Status.SeenAsync(device.Id, request.Battery) is { } change)
        {
            await services.Recorder.RecordAsync([change], cancellationToken);
        }

        return TypedResults.Accepted((string?)null);
    }

    /// <summary>What a heartbeat touches: Redis for the live values, the status tracker, the registry mirror.</summary>
    public sealed record HeartbeatServices(
        IConnectionMultiplexer Redis, DeviceStatusTracker Status, DeviceStatusRecorder Recorder, DeviceHeartbeatMirror Mirror, AlertSignals Alerts, DeviceHealthMarks Health,
        IOptions<FleetOptions> Options, TimeProvider Clock, HeartbeatRateLimiter RateLimiter, IOptions<HeartbeatOptions> RateOptions);

    /// <summary>Shortest round-trip text ("84.6", not StackExchange.Redis's "84.599999999999994").</summary>
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static async Task<Ok<FleetStatsResponse>> StatsAsync(
        FleetDbContext db, DeviceStatusTracker status, CancellationToken cancellationToken)
    {
        var devices = db.Devices.AsNoTracking();
        var byLifecycle = await devices.GroupBy(d => d.Lifecycle).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        var byType = await devices.GroupBy(d => d.Type).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        var byRegion = await devices.GroupBy(d => d.Region).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
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
            byStatus.ToDictionary(g => g.Key.ToName(), g => g.Count)));
    }
}
