using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Fleet.Api.Mqtt;
using Npgsql;
using StackExchange.Redis;

namespace Fleet.Api.Infrastructure;

/// <summary>A 503 with Retry-After for a request that PostgreSQL or Redis could not serve now; nothing of it was kept.</summary>
public static class StoreUnavailable
{
    public static ProblemHttpResult Problem(HttpContext http, FleetOptions options, string title, string detail)
    {
        http.Response.Headers.RetryAfter = options.DeviceRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: title, detail: detail);
    }

    /// <summary>Failures of the stores themselves, not of the request: the client should come back, not report a bug.</summary>
    public static bool IsOutage(Exception exception) => exception is RedisConnectionException or RedisTimeoutException or BrokerChangeFailedException
        || (exception is NpgsqlException { IsTransient: true } and not PostgresException);
}

/// <summary>Turns a store outage that reached the top of a request into a 503 problem with Retry-After instead of a 500.</summary>
public sealed class StoreUnavailableExceptionHandler(IProblemDetailsService problemDetails, IOptions<FleetOptions> options) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!StoreUnavailable.IsOutage(exception))
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = options.Value.DeviceRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = exception is BrokerChangeFailedException
                ? new ProblemDetails
                {
                    Status = StatusCodes.Status503ServiceUnavailable,
                    Title = "MQTT broker unavailable",
                    Detail = "The MQTT broker did not take the device's identity change, so nothing was changed; send the request again after Retry-After seconds.",
                }
                : new ProblemDetails
                {
                    Status = StatusCodes.Status503ServiceUnavailable,
                    Title = "Store unavailable",
                    Detail = "PostgreSQL or Redis could not serve the request now; send it again after Retry-After seconds.",
                },
        });
    }
}
