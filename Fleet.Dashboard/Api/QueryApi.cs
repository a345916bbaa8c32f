using Fleet.Dashboard.Resources;
using Fleet.Dashboard.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Dashboard.Api;

/// <summary>A resource: what the AppHost says about its process (when connected) and what telemetry is held for it.</summary>
public sealed record ResourceView(string Name, AppHostResource? Process, ResourceTelemetryCounts? Telemetry);

public sealed record TraceView(string TraceId, IReadOnlyList<StoredSpan> Spans);

/// <summary>The JSON query API the pages' data comes from and tests call.</summary>
public static class QueryApi
{
    public static IEndpointRouteBuilder MapQueryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/resources", GetResourcesAsync);
        api.MapGet("/traces", GetTraces);
        api.MapGet("/traces/{traceId}", GetTrace);
        api.MapGet("/logs", GetLogs);
        api.MapGet("/metrics", GetMetrics);
        api.MapGet("/metrics/series", GetSeries);
        api.MapGet("/resources/{name}/console", GetConsoleAsync);
        api.MapPost("/resources/{name}/{action}", ControlAsync);
        return app;
    }

    public static async Task<Ok<List<ResourceView>>> GetResourcesAsync(TelemetryStore store, AppHostResourceClient appHost, CancellationToken cancellationToken) =>
        TypedResults.Ok(Merge(await appHost.ResourcesAsync(cancellationToken), store.Resources()));

    public static List<ResourceView> Merge(IReadOnlyList<AppHostResource> processes, IReadOnlyList<ResourceTelemetryCounts> telemetry)
    {
        var counts = telemetry.ToDictionary(t => t.Resource, StringComparer.OrdinalIgnoreCase);
        var views = processes.Select(process => new ResourceView(process.Name, process, counts.GetValueOrDefault(process.Name))).ToList();
        views.AddRange(telemetry.Where(t => !processes.Any(p => string.Equals(p.Name, t.Resource, StringComparison.OrdinalIgnoreCase)))
            .Select(t => new ResourceView(t.Resource, null, t)));
        return views;
    }

    private static Ok<IReadOnlyList<TraceSummary>> GetTraces(TelemetryQueries queries, string? resource, string? q, double? minDurationMs, int? limit) =>
        TypedResults.Ok(queries.Traces(new TraceFilter(NullIfEmpty(resource), q, minDurationMs, limit ?? 100)));

    private static Results<Ok<TraceView>, NotFound> GetTrace(TelemetryQueries queries, string traceId) =>
        queries.Trace(traceId) is { } spans ? TypedResults.Ok(new TraceView(traceId.ToLowerInvariant(), spans)) : TypedResults.NotFound();

    private static Results<Ok<IReadOnlyList<StoredLogRecord>>, ValidationProblem> GetLogs(
        TelemetryQueries queries, string? resource, string? level, string? q, string? traceId, int? limit)
    {
        LogSeverity? minLevel = null;
        if (!string.IsNullOrEmpty(level))
        {
            if (!Enum.TryParse<LogSeverity>(level, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]>
                {
                    ["level"] = [$"'{level}' is not a level; use one of {string.Join(", ", Enum.GetNames<LogSeverity>())}."],
                });
            }

            minLevel = parsed;
        }

        return TypedResults.Ok(queries.Logs(new LogFilter(NullIfEmpty(resource), minLevel, q, NullIfEmpty(traceId), limit ?? 200)));
    }

    private static Ok<IReadOnlyList<InstrumentSummary>> GetMetrics(TelemetryQueries queries, string? resource) =>
        TypedResults.Ok(queries.Instruments(NullIfEmpty(resource)));

    private static Results<Ok<IReadOnlyList<StoredMetricPoint>>, ValidationProblem> GetSeries(TelemetryQueries queries, string? resource, string? instrument, string? dimension) =>
        string.IsNullOrWhiteSpace(resource) || string.IsNullOrWhiteSpace(instrument)
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { [string.IsNullOrWhiteSpace(resource) ? "resource" : "instrument"] = ["Required."] })
            : TypedResults.Ok(queries.Series(resource, instrument, dimension));

    private static async Task<Results<Ok<IReadOnlyList<ConsoleLine>>, ProblemHttpResult>> GetConsoleAsync(
        AppHostResourceClient appHost, string name, long? after, CancellationToken cancellationToken) =>
        appHost.IsConfigured
            ? TypedResults.Ok(await appHost.ConsoleAsync(name, after ?? 0, cancellationToken))
            : TypedResults.Problem("The dashboard is not connected to an AppHost.", statusCode: StatusCodes.Status404NotFound);

    private static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> ControlAsync(
        AppHostResourceClient appHost, string name, string action, CancellationToken cancellationToken)
    {
        if (!Enum.TryParse<ResourceAction>(action, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["action"] = ["Use stop, start or restart."] });
        }

        if (!appHost.IsConfigured)
        {
            return TypedResults.Problem("The dashboard is not connected to an AppHost.", statusCode: StatusCodes.Status404NotFound);
        }

        await appHost.ControlAsync(name, parsed, cancellationToken);
        return TypedResults.NoContent();
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
