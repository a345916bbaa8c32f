using Fleet.Api.Devices;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using Fleet.ServiceDefaults;

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
public sealed partial class DeviceAuthFilter(
    NpgsqlDataSource dataSource, DeviceKeyCache cache, CurrentDevice current, IOptions<FleetOptions> options, ILogger<DeviceAuthFilter> logger) : IEndpointFilter
{
    private const string FindDevice = """
        SELECT d.id, d.lifecycle FROM device_credentials c JOIN devices d ON d.id = c.device_id WHERE c.key_hash = $1
        """;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var key = AuthorizationHeader.Credential(context.HttpContext.Request, FleetHttp.DeviceAuthScheme);
        if (key is null)
        {
            return Unauthorized("Send Authorization: Device <device key>.");
        }

        var hash = DeviceKeyHasher.Hash(key);
        var device = cache.Find(hash);
        if (device is null)
        {
            var requestAborted = context.HttpContext.RequestAborted;
            // Not cancelled with the wait: the driver may not give up a connection attempt, and a lookup left running is harmless.
            var lookup = FindAsync(dataSource, hash);
            try
            {
                device = await lookup.WaitAsync(options.Value.DeviceStoreTimeout, requestAborted);
            }
            catch (Exception exception) when (!requestAborted.IsCancellationRequested && exception is NpgsqlException or TimeoutException)
            {
                _ = lookup.ContinueWith(static left => left.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                // The registry is out of reach: the device is told to come back, not held until the driver gives up.
                LogRegistryUnavailable(logger, exception);
                return StoreUnavailable.Problem(context.HttpContext, options.Value, "Device registry unavailable",
                    "The device key could not be checked now; send the request again after Retry-After seconds.");
            }

            if (device is not null)
            {
                cache.Set(hash, device);
            }
        }

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

    private static async Task<AuthenticatedDevice?> FindAsync(NpgsqlDataSource dataSource, byte[] hash)
    {
        await using var command = dataSource.CreateCommand(FindDevice);
        command.Parameters.Add(new NpgsqlParameter { Value = hash });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? new AuthenticatedDevice(reader.GetGuid(0), Enum.Parse<DeviceLifecycle>(reader.GetString(1))) : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A device key could not be looked up in time; the request was answered 503")]
    private static partial void LogRegistryUnavailable(ILogger logger, Exception exception);

    private static ProblemHttpResult Unauthorized(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Device key required", detail: detail);
}
