using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Api.Alerts;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Microsoft.Extensions.Options;

namespace Fleet.Api.Telemetry;

/// <summary>What became of a device's batch, whatever carried it (HTTP or MQTT).</summary>
public abstract record TelemetryOutcome
{
    public sealed record Stored(int Readings, int Points) : TelemetryOutcome;

    public sealed record Invalid(Dictionary<string, string[]> Errors) : TelemetryOutcome;

    /// <summary>The telemetry log is full (Logged acknowledgement); nothing was kept.</summary>
    public sealed record BacklogFull : TelemetryOutcome;

    /// <summary>PostgreSQL did not take it in time (Committed acknowledgement); nothing was kept.</summary>
    public sealed record StoreUnavailable : TelemetryOutcome;
}

/// <summary>
/// The device ingest path shared by HTTP and the MQTT collector: validation, encoding, the durable hand-off (committed, or
/// in the telemetry log, per <see cref="TelemetryOptions.Acknowledge"/>), then the alert and health signals. Dedup by
/// (device, seq) and gap counting happen where the readings are written, so both transports get them.
/// </summary>
public sealed class TelemetryIngest(
    TelemetryWriter writer, TelemetryLog log, TelemetryMetrics metrics, AlertSignals alerts, DeviceHealthMarks health,
    IOptions<TelemetryOptions> options, TimeProvider clock)
{
    /// <summary>Metric values must be JSON numbers: a quoted "21.5" is refused, unlike the web defaults.</summary>
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.Strict };

    /// <summary>Parses and validates one body; only the encoded tuples and the latest reading's metrics outlive it.</summary>
    public TelemetryOutcome.Invalid? Parse(Guid deviceId, ReadOnlySpan<byte> json, out ParsedTelemetry? parsed)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        parsed = TelemetryBodyReader.TryRead(json, deviceId, now, settings, health.ErrorMetric);
        if (parsed is not null)
        {
            return null;
        }

        var (request, errors) = ReadWithSerializer(json, now, settings);
        if (errors.Count > 0)
        {
            return new TelemetryOutcome.Invalid(errors);
        }

        var sent = request!.Readings!;
        parsed = new ParsedTelemetry(EncodedReadings.Encode(deviceId, sent), sent.MaxBy(r => r!.Ts)!.Metrics!, health.ReportsErrors(sent));
        return null;
    }

    /// <summary>Returns once the readings are durable as configured; owns <paramref name="parsed"/>'s buffer from here.</summary>
    public async Task<TelemetryOutcome> StoreAsync(Guid deviceId, ParsedTelemetry parsed, CancellationToken cancellationToken)
    {
        var (readings, latest, reportsErrors) = parsed;
        var (count, points) = (readings.Readings, readings.Points);
        try
        {
            if (options.Value.Acknowledge == TelemetryAcknowledgement.Committed)
            {
                await writer.WriteAsync(readings, cancellationToken);
            }
            else if (!await AppendAsync(readings, cancellationToken))
            {
                return new TelemetryOutcome.BacklogFull();
            }
        }
        catch (TelemetryStoreUnavailableException)
        {
            return new TelemetryOutcome.StoreUnavailable();
        }

        metrics.Accepted(points);
        alerts.RecordMetrics(deviceId, latest);
        if (reportsErrors)
        {
            await health.MarkErrorsAsync(deviceId, clock.GetUtcNow());
        }

        return new TelemetryOutcome.Stored(count, points);
    }

    /// <summary>Appends to the telemetry log; the readings' buffer goes back once Redis has them.</summary>
    private async Task<bool> AppendAsync(EncodedReadings readings, CancellationToken cancellationToken)
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
}
