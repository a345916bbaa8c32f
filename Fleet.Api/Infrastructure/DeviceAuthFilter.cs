using Fleet.Api.Devices;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Api.Infrastructure;

/// <summary>The device a request was authenticated as.</summary>
public sealed record AuthenticatedDevice(Guid Id, DeviceLifecycle Lifecycle);

/// <summary>
/// Per request: the device <see cref="DeviceAuthFilter"/> authenticated. Handlers take it from DI because
/// parameter binding runs before endpoint filters; the filter fills it in before the handler runs.
/// </summary>
public sealed class CurrentDevice
{
    private AuthenticatedDevice? _device;

    public AuthenticatedDevice Device => _device ?? throw new InvalidOperationException("Device endpoints must be mapped with DeviceAuthFilter.");

    public Guid Id => Device.Id;

    internal void Set(AuthenticatedDevice device) => _device = device;
}

/// <summary>
/// Device endpoints need <c>Authorization: Device &lt;key&gt;</c>: missing or unknown key → 401;
/// a device that is not in service (new, suspended, retired) → 403. The device id comes from the key only,
/// so a device can never write as another.
/// </summary>
public sealed class DeviceAuthFilter(FleetDbContext db, DeviceKeyCache cache, CurrentDevice current) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var key = AuthorizationHeader.Credential(context.HttpContext.Request, FleetHttp.DeviceAuthScheme);
        if (key is null)
        {
            return Unauthorized("Send Authorization: Device <device key>.");
        }

        var hash = DeviceKeyHasher.Hash(key);
        var device = cache.Find(hash) ?? await FindAsync(hash, context.HttpContext.RequestAborted);
        if (device is null)
        {
            return Unauthorized("The device key is not valid.");
        }

        if (device.Lifecycle != DeviceLifecycle.Active)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: "Device not in service",
                detail: $"The device is {device.Lifecycle.ToString().ToLowerInvariant()}.");
        }

        current.Set(device);
        return await next(context);
    }

    private async Task<AuthenticatedDevice?> FindAsync(byte[] hash, CancellationToken cancellationToken)
    {
        var device = await db.DeviceCredentials.AsNoTracking()
            .Where(credential => credential.KeyHash == hash)
            .Join(db.Devices, credential => credential.DeviceId, device => device.Id, (_, device) => new AuthenticatedDevice(device.Id, device.Lifecycle))
            .SingleOrDefaultAsync(cancellationToken);
        if (device is not null)
        {
            cache.Set(hash, device);
        }

        return device;
    }

    private static ProblemHttpResult Unauthorized(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Device key required", detail: detail);
}
