using Fleet.Api.Identity;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Fleet.Api.Stats;

/// <summary>Operators' statistics that must cost the same with ten devices or ten million: read from Redis counters, not tables.</summary>
public static class StatsApi
{
    public static IEndpointRouteBuilder MapStatsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(StatsHttp.IngestRoute, IngestAsync)
            .WithTags("Stats")
            .RequireRole(FleetRoles.Viewer)
            .WithSummary("Telemetry points newly stored per minute over the last `minutes` (default and most: the window, 60), and the current points/s");
        return app;
    }

    public static async Task<Results<Ok<IngestRateResponse>, ValidationProblem>> IngestAsync(
        int? minutes, IngestCounter counter, IOptions<IngestRateOptions> options)
    {
        var window = options.Value.WindowMinutes;
        if (minutes is { } asked && (asked < 1 || asked > window))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["minutes"] = [$"must be from 1 to {window}."] });
        }

        return TypedResults.Ok(await counter.ReadAsync(minutes ?? window));
    }
}
