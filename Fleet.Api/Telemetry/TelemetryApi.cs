using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Api.Alerts;
using Fleet.Api.Identity;
using Fleet.Api.Infrastructure;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Fleet.Api.Telemetry;

public static class TelemetryApi
{
    public static IEndpointRouteBuilder MapTelemetryApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(FleetHttp.TelemetryRoute, IngestAsync)
            .WithTags("Device")
            .AddEndpointFilter<DeviceAuthFilter>()
            .WithBodyLimitSetByHandler()
            .Accepts<TelemetryBatchRequest>("application/json")
            .WithSummary("Send a batch of 1..1000 readings; 202 once they are durable: committed, or in the telemetry log (Fleet:Telemetry:Acknowledge).");

        var devices = app.MapGroup(FleetHttp.DevicesRoute).WithTags("Telemetry").RequireRole(FleetRoles.Viewer);
        devices.MapGet("/{id:guid}/telemetry/sequence", SequenceAsync)
            .WithSummary("A device's stored sequence numbers and how many are missing (gaps).");
        devices.MapTelemetryQueries();
        return app;
    }

    public static async Task<Results<Accepted<TelemetryAccepted>, ValidationProblem, ProblemHttpResult>> IngestAsync(
        HttpContext http,
        CurrentDevice device,
        TelemetryRateLimiter rateLimiter,
        TelemetryIngest ingest,
        TelemetryMetrics metrics,
        IOptions<TelemetryOptions> options,
        CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (rateLimiter.RetryAfter(device.Id) is { } retryAfter)
        {
            http.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            metrics.Rejected(StatusCodes.Status429TooManyRequests);
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many telemetry requests",
                detail: $"At most {settings.RequestsPerDevicePerMinute} telemetry requests per device per minute.");
        }

        if (http.Request.ContentLength > settings.MaxBodyBytes)
        {
            metrics.Rejected(StatusCodes.Status413PayloadTooLarge);
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request body too large",
                detail: $"Telemetry bodies are limited to {settings.MaxBodyBytes} bytes.");
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = settings.MaxBodyBytes;
        }

        var (body, length) = await ReadBodyAsync(http.Request, settings.MaxBodyBytes, cancellationToken);
        ParsedTelemetry? parsed;
        TelemetryOutcome.Invalid? invalid;
        try
        {
            invalid = ingest.Parse(device.Id, body.AsSpan(0, length), out parsed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }

        if (invalid is not null)
        {
            metrics.Rejected(StatusCodes.Status400BadRequest);
            return TypedResults.ValidationProblem(invalid.Errors);
        }

        // Nothing of the request is held while the readings wait for their group commit.
        return await ingest.StoreAsync(device.Id, parsed!, cancellationToken) switch
        {
            TelemetryOutcome.Stored stored => TypedResults.Accepted((string?)null, new TelemetryAccepted(stored.Readings, stored.Points)),
            TelemetryOutcome.BacklogFull => Unavailable(http, metrics, "Telemetry backlog full",
                "The telemetry log holds as many batches as it may until the writer stores them; nothing of this batch was kept; send it again."),
            _ => Unavailable(http, metrics, "Telemetry store unavailable", "Nothing of this batch was stored; send it again."),
        };
    }

    /// <summary>A 503 the device should retry in a second; nothing of its batch was kept.</summary>
    private static ProblemHttpResult Unavailable(HttpContext http, TelemetryMetrics metrics, string title, string detail)
    {
        http.Response.Headers.RetryAfter = "1";
        metrics.Rejected(StatusCodes.Status503ServiceUnavailable);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: title, detail: detail);
    }

    /// <summary>The whole body in a pooled buffer (the caller returns it); Kestrel stops a body past the size limit with a 413.</summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? 16 * 1024, maxBytes) + 1);
        var length = 0;
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
            {
                length += read;
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }

            return (buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    public static async Task<Results<Ok<TelemetrySequenceStats>, NotFound>> SequenceAsync(Guid id, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT first_seq, last_seq, received FROM telemetry_sequences WHERE device_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return TypedResults.NotFound();
        }

        var (first, last, received) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        return TypedResults.Ok(new TelemetrySequenceStats(first, last, received, Math.Max(0, last - first + 1 - received)));
    }
}
