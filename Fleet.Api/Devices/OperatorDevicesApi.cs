using System.Globalization;
using System.Text.Json;
using Fleet.Api.Audit;
using Fleet.Api.Commands;
using Fleet.Api.Identity;
using Fleet.Api.Infrastructure;
using Fleet.Api.Mqtt;
using Fleet.Api.Status;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace Fleet.Api.Devices;

/// <summary>The operators' device registry: list, detail and lifecycle changes, all behind the operator token.</summary>
public static class OperatorDevicesApi
{
    public static IEndpointRouteBuilder MapOperatorDevicesApi(this IEndpointRouteBuilder app)
    {
        var devices = app.MapGroup(FleetHttp.DevicesRoute)
            .WithTags("Devices")
            .RequireRole(FleetRoles.Viewer);
        devices.MapGet("/", ListAsync).WithSummary("Devices, filtered, sorted and paged: page, pageSize, sort, lifecycle, type, region, hardwareRevision, environment, tag, firmware, q");
        devices.MapGet("/{id:guid}", DetailAsync).WithSummary("A device and the values of its latest heartbeat");
        devices.MapPost("/{id:guid}/activate", ActivateAsync).RequireRole(FleetRoles.Operator).WithSummary("Put a new or suspended device in service").ProducesProblem(StatusCodes.Status409Conflict);
        devices.MapPost("/{id:guid}/suspend", SuspendAsync).RequireRole(FleetRoles.Operator).WithSummary("Take an active device out of service; its key stops working").ProducesProblem(StatusCodes.Status409Conflict);
        devices.MapPost("/{id:guid}/re-enrollment", AllowReEnrollmentAsync).RequireRole(FleetRoles.Admin)
            .WithSummary("Allow the device to register once more without its current key (it lost it); the allowance expires after Fleet:ReEnrollmentWindow");
        devices.MapPut("/{id:guid}/environment", SetEnvironmentAsync).RequireRole(FleetRoles.Operator)
            .WithSummary("Move a device to the blue or green environment (body {environment}); audited. A rollout already under way keeps the environment it took the device in with");
        devices.MapPost("/{id:guid}/retire", RetireAsync).RequireRole(FleetRoles.Admin).WithSummary("Take a device out of service for good").ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    public static async Task<Results<Ok<DeviceListResponse>, ValidationProblem>> ListAsync(
        [AsParameters] DeviceListQuery query, FleetDbContext db, CancellationToken cancellationToken)
    {
        var errors = query.Validate();
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var matching = query.Filter(db.Devices.AsNoTracking());
        var total = await matching.CountAsync(cancellationToken);
        var page = await query.Order(matching).Skip(query.Skip).Take(query.Take).ToListAsync(cancellationToken);
        return TypedResults.Ok(new DeviceListResponse([.. page.Select(ToSummary)], total));
    }

    public static async Task<Results<Ok<DeviceDetail>, NotFound>> DetailAsync(
        Guid id, FleetDbContext db, IConnectionMultiplexer redis, CancellationToken cancellationToken)
    {
        var device = await db.Devices.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (device is null)
        {
            return TypedResults.NotFound();
        }

        var latest = await redis.GetDatabase().HashGetAllAsync(RedisKeys.Latest(id));
        var config = latest.FirstOrDefault(e => e.Name == DeviceConfig.LatestField).Value;
        return TypedResults.Ok(new DeviceDetail(ToSummary(device), ToLatest(latest),
            config.HasValue ? JsonSerializer.Deserialize<Dictionary<string, string>>(config.ToString()) : null, ToLink(latest)));
    }

    public static async Task<Results<Ok<ReEnrollmentAllowance>, NotFound>> AllowReEnrollmentAsync(
        Guid id, FleetDbContext db, ReEnrollment reEnrollment, CancellationToken cancellationToken)
    {
        if (!await db.Devices.AnyAsync(d => d.Id == id, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        return TypedResults.Ok(new ReEnrollmentAllowance(id, await reEnrollment.GrantAsync(id)));
    }

    public static Task<Results<Ok<DeviceSummary>, NotFound, ProblemHttpResult>> ActivateAsync(
        Guid id, [AsParameters] LifecycleServices services, CancellationToken cancellationToken) =>
        ChangeLifecycleAsync(id, DeviceLifecycleAction.Activate, services, cancellationToken);

    public static Task<Results<Ok<DeviceSummary>, NotFound, ProblemHttpResult>> SuspendAsync(
        Guid id, [AsParameters] LifecycleServices services, CancellationToken cancellationToken) =>
        ChangeLifecycleAsync(id, DeviceLifecycleAction.Suspend, services, cancellationToken);

    public static Task<Results<Ok<DeviceSummary>, NotFound, ProblemHttpResult>> RetireAsync(
        Guid id, [AsParameters] LifecycleServices services, CancellationToken cancellationToken) =>
        ChangeLifecycleAsync(id, DeviceLifecycleAction.Retire, services, cancellationToken);

    public static async Task<Results<Ok<DeviceSummary>, NotFound, ValidationProblem>> SetEnvironmentAsync(
        Guid id, DeviceEnvironmentRequest request, HttpRequest http, FleetDbContext db, DeviceChangeNotifier changes, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (!DeviceEnvironments.IsKnown(request.Environment))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["environment"] = ["must be blue or green."] });
        }

        var device = await db.Devices.SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (device is null)
        {
            return TypedResults.NotFound();
        }

        var (from, to) = (device.Environment, request.Environment!);
        if (from != to)
        {
            var (at, actor) = (clock.GetUtcNow(), OperatorIdentity.Of(http.HttpContext.User));
            device.Environment = to;
            db.DeviceEvents.Add(new DeviceEvent { DeviceId = id, At = at, Kind = "environment", FromState = from, ToState = to, Detail = "operator: set-environment" });
            db.AuditEntries.Add(new AuditEntry { At = at, Actor = actor, Action = "set-environment", TargetType = "device", TargetId = id, Reason = $"{from} -> {to}" });
            await db.SaveChangesAsync(cancellationToken);
            changes.Publish([new DeviceChangeMessage(id, "environment", $"{from} -> {to}", at)]);
        }

        return TypedResults.Ok(ToSummary(device));
    }

    /// <summary>
    /// The update only applies if the lifecycle is still the one the transition was decided from; if another
    /// request changed it in between, the decision is taken again on the new state.
    /// </summary>
    private static async Task<Results<Ok<DeviceSummary>, NotFound, ProblemHttpResult>> ChangeLifecycleAsync(
        Guid id, DeviceLifecycleAction action, LifecycleServices services, CancellationToken cancellationToken)
    {
        var (db, keyCache, broker, clock) = (services.Db, services.KeyCache, services.Broker, services.Clock);
        while (true)
        {
            var device = await db.Devices.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
            if (device is null)
            {
                return TypedResults.NotFound();
            }

            var current = device.Lifecycle;
            if (DeviceLifecycleTransitions.Next(current, action) is not { } next)
            {
                var wanted = DeviceLifecycleTransitions.Rules[action].To;
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status409Conflict,
                    title: "Lifecycle change not allowed",
                    detail: $"The device is {current.ToName()} and cannot become {wanted.ToName()}.",
                    extensions: new Dictionary<string, object?> { ["current"] = current.ToName(), ["wanted"] = wanted.ToName() });
            }

            if (next == current)
            {
                return TypedResults.Ok(ToSummary(device));
            }

            // One statement: the change and its event land together or not at all; with MQTT, only if the broker takes it too.
            var (at, from, to, detail) = (clock.GetUtcNow(), current.ToName(), next.ToName(), $"operator: {action.ToString().ToLowerInvariant()}");
            var updated = await db.InTransactionAsync(broker.Enabled, async ct =>
            {
                var changed = await db.Database.ExecuteSqlInterpolatedAsync($"""
                    WITH changed AS (
                        UPDATE devices SET lifecycle = {next.ToString()} WHERE id = {id} AND lifecycle = {current.ToString()} RETURNING id
                    )
                    INSERT INTO device_events (device_id, at, kind, from_state, to_state, detail)
                    SELECT id, {at}, 'lifecycle', {from}, {to}, {detail} FROM changed
                    """, ct);
                if (changed == 1)
                {
                    await broker.ApplyLifecycleAsync(id, next, ct);
                }

                return changed;
            }, cancellationToken);
            if (updated == 1)
            {
                await ForgetKeysAsync(id, db, keyCache, cancellationToken);
                services.Changes.Publish([new DeviceChangeMessage(id, "lifecycle", $"{from} -> {to}", at)]);
                device.Lifecycle = next;
                return TypedResults.Ok(ToSummary(device));
            }
        }
    }

    /// <summary>The next device call, on any replica, reads the new lifecycle from the database, not a cached one.</summary>
    private static async Task ForgetKeysAsync(Guid id, FleetDbContext db, DeviceKeyCache keyCache, CancellationToken cancellationToken)
    {
        var hashes = await db.DeviceCredentials.AsNoTracking().Where(c => c.DeviceId == id).Select(c => c.KeyHash).ToListAsync(cancellationToken);
        await keyCache.ForgetEverywhereAsync(hashes);
    }

    internal static DeviceSummary ToSummary(Device device) => new(
        device.Id,
        device.Serial,
        device.Name,
        device.Type,
        device.HardwareRevision,
        device.Region,
        device.Environment,
        device.Tags,
        device.FirmwareVersion,
        device.Lifecycle.ToName(),
        device is { Latitude: { } lat, Longitude: { } lon } ? new GeoLocation(lat, lon) : null,
        device.CreatedAt,
        device.LastSeenAt,
        device.Connectivity.ToName());

    /// <summary>Written by the MQTT collector (status topic) and the device channel (socket open and close).</summary>
    private static DeviceLink? ToLink(HashEntry[] entries)
    {
        var values = entries.ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
        DateTimeOffset? At(string field) => long.TryParse(values.GetValueOrDefault(field), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
        return values.GetValueOrDefault(DeviceLinkFields.Transport) is { Length: > 0 } transport
            ? new DeviceLink(transport, At(DeviceLinkFields.ConnectedAt), At(DeviceLinkFields.DisconnectedAt))
            : null;
    }

    private static LatestHeartbeat? ToLatest(HashEntry[] entries)
    {
        if (!entries.Any(e => e.Name == "seenAt"))
        {
            return null;
        }

        var values = entries.ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
        string? Text(string field) => values.GetValueOrDefault(field);
        double? Real(string field) => double.TryParse(Text(field), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;
        long? Whole(string field) => long.TryParse(Text(field), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

        var (lat, lon) = (Real("lat"), Real("lon"));
        return new LatestHeartbeat(
            Real("battery"),
            (int?)Whole("signal"),
            Text("firmware"),
            Text("slot"),
            Whole("uptimeS"),
            lat is { } latitude && lon is { } longitude ? new GeoLocation(latitude, longitude) : null,
            Whole("seenAt") is { } seenAt ? DateTimeOffset.FromUnixTimeMilliseconds(seenAt) : null);
    }
}

/// <summary>What a lifecycle change needs besides the device's id.</summary>
public sealed record LifecycleServices(FleetDbContext Db, DeviceKeyCache KeyCache, BrokerDeviceIdentities Broker, DeviceChangeNotifier Changes, TimeProvider Clock);
