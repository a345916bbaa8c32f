using Fleet.Contracts;

namespace Fleet.Api.Telemetry;

/// <summary>Field-level checks of a telemetry batch; each error names the JSON path it is about.</summary>
public static class TelemetryValidation
{
    public const int MaxMetricNameLength = 64;

    public static Dictionary<string, string[]> Validate(TelemetryBatchRequest request, DateTimeOffset now, TelemetryOptions options)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Readings is not { Count: > 0 } readings)
        {
            errors["readings"] = ["must hold at least one reading."];
            return errors;
        }

        if (readings.Count > options.MaxReadingsPerBatch)
        {
            errors["readings"] = [$"must hold at most {options.MaxReadingsPerBatch} readings; got {readings.Count}."];
            return errors;
        }

        for (var i = 0; i < readings.Count; i++)
        {
            var path = $"readings[{i}]";
            if (readings[i] is not { } reading)
            {
                errors[path] = ["must be an object."];
                continue;
            }

            if (reading.Seq is not { } seq)
            {
                errors[$"{path}.seq"] = ["is required."];
            }
            else if (seq < 0)
            {
                errors[$"{path}.seq"] = ["must not be negative."];
            }

            if (reading.Ts is not { } ts)
            {
                errors[$"{path}.ts"] = ["is required."];
            }
            else if (ts < now - options.MaxPast)
            {
                errors[$"{path}.ts"] = [$"is more than {options.MaxPast} in the past."];
            }
            else if (ts > now + options.MaxFuture)
            {
                errors[$"{path}.ts"] = [$"is more than {options.MaxFuture} in the future."];
            }

            ValidateMetrics(errors, $"{path}.metrics", reading.Metrics, options.MaxMetricsPerReading);
        }

        return errors;
    }

    private static void ValidateMetrics(Dictionary<string, string[]> errors, string path, IReadOnlyDictionary<string, double>? metrics, int maxMetrics)
    {
        if (metrics is not { Count: > 0 })
        {
            errors[path] = ["must hold at least one metric."];
            return;
        }

        if (metrics.Count > maxMetrics)
        {
            errors[path] = [$"must hold at most {maxMetrics} metrics."];
            return;
        }

        foreach (var (name, value) in metrics)
        {
            if (!IsMetricName(name))
            {
                errors[$"{path}.{name}"] = [$"metric names are 1..{MaxMetricNameLength} letters, digits, '_', '.' or '-'."];
            }
            else if (!double.IsFinite(value))
            {
                errors[$"{path}.{name}"] = ["must be a finite number."];
            }
        }
    }

    private static bool IsMetricName(string name) =>
        name.Length is > 0 and <= MaxMetricNameLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}
