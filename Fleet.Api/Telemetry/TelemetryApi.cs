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
    /// <summary>Metric values must be JSON numbers: a quoted "21.5" is refused, unlike the web defaults.</summary>
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.Strict };

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
        TelemetryWriter writer,
        TelemetryLog log,
        TelemetryMetrics metrics,
        AlertSignals alerts,
        DeviceHealthMarks health,
        IOptions<TelemetryOptions> options,
        TimeProvider clock,
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
        ParsedTelemetry parsed;
        try
        {
            var json = body.AsSpan(0, length);
            var now = clock.GetUtcNow();
            if (TelemetryBodyReader.TryRead(json, device.Id, now, settings, health.ErrorMetric) is { } fast)
            {
                parsed = fast;
            }
            else
            {
                var (request, errors) = ReadWithSerializer(json, now, settings);
                if (errors.Count > 0)
                {
                    metrics.Rejected(StatusCodes.Status400BadRequest);
                    return TypedResults.ValidationProblem(errors);
                }

                var sent = request!.Readings!;
                parsed = new ParsedTelemetry(EncodedReadings.Encode(device.Id, sent), sent.MaxBy(r => r!.Ts)!.Metrics!, health.ReportsErrors(sent));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }

        // Only the encoded tuples and the latest reading's metrics outlive the parse, so nothing of the request is held
        // while it waits for its group commit.
        var (readings, latest, reportsErrors) = parsed;
        var (count, points) = (readings.Readings, readings.Points);
        try
        {
            if (settings.Acknowledge == TelemetryAcknowledgement.Committed)
            {
                await writer.WriteAsync(readings, cancellationToken);
            }
            else if (!await AppendAsync(log, readings, cancellationToken))
            {
                return Unavailable(http, metrics, "Telemetry backlog full",
                    "The telemetry log holds as many batches as it may until the writer stores them; nothing of this batch was kept; send it again.");
            }
        }
        catch (TelemetryStoreUnavailableException)
        {
            return Unavailable(http, metrics, "Telemetry store unavailable", "Nothing of this batch was stored; send it again.");
        }

        metrics.Accepted(points);
        alerts.RecordMetrics(device.Id, latest);
        if (reportsErrors)
        {
            await health.MarkErrorsAsync(device.Id, clock.GetUtcNow());
        }

        return TypedResults.Accepted((string?)null, new TelemetryAccepted(count, points));
    }

    /// <summary>A 503 the device should retry in a second; nothing of its batch was kept.</summary>
    private static ProblemHttpResult Unavailable(HttpContext http, TelemetryMetrics metrics, string title, string detail)
    {
        http.Response.Headers.RetryAfter = "1";
        metrics.Rejected(StatusCodes.Status503ServiceUnavailable);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: title, detail: detail);
    }

    /// <summary>Appends to the telemetry log; the readings' buffer goes back once Redis has them.</summary>
    private static async Task<bool> AppendAsync(TelemetryLog log, EncodedReadings readings, CancellationToken cancellationToken)
    {
        using (readings)
        {
            return await log.AppendAsync(readings, cancellationToken);
        }
    }

    /// <summary>
    /// The serializer's path, for what the fast path refused: it accepts the lenient shapes the serializer allows, and
    /// names the field at fault (a JSON error by its path, a bad value by <see cref="TelemetryValidation"/>).
    /// </summary>
    private static (TelemetryBatchRequest? Request, Dictionary<string, string[]> Errors) ReadWithSerializer(ReadOnlySpan<byte> json, DateTimeOffset now, TelemetryOptions settings)
    {
        TelemetryBatchRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<TelemetryBatchRequest>(json, Json);
        }
        catch (JsonException exception)
        {
            var field = exception.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : "body";
            return (null, new Dictionary<string, string[]> { [field] = [$"is not valid JSON here: {exception.Message}"] });
        }

        return (request, TelemetryValidation.Validate(request ?? new TelemetryBatchRequest(null), now, settings));
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
