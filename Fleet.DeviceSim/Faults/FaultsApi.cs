using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Contracts;
using Fleet.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceSim.Faults;

/// <summary>
/// <c>GET /faults</c> shows the faults in force; <c>PUT /faults</c> replaces them (absent fields take their defaults). Both
/// demand <c>Authorization: Bearer &lt;Fleet:Simulator:FaultsToken&gt;</c>; without the setting nobody may use them.
/// </summary>
public static class FaultsApi
{
    private const string Scheme = "Bearer";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static IEndpointRouteBuilder MapFaultsApi(this IEndpointRouteBuilder app)
    {
        var routes = app.MapGroup("/faults")
            .AddEndpointFilter(RequireTokenAsync)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        routes.MapGet("", (FaultInjector faults) => TypedResults.Ok(faults.Current))
            .WithSummary("The faults in force");
        routes.MapPut("", PutAsync)
            .WithSummary("Replace the faults in force: dropPercent, latencyMs, offlinePercent, batteryFaultPercent, clockSkewSeconds, clockSkewPercent, "
                + "corruptDownloadPercent, cutDownloadPercent, bootFailures [{version, hardwareRevision, percent}], batteryDrain [{version, multiplier}]");
        return app;
    }

    public static async Task<Results<Ok<FaultSettings>, ValidationProblem>> PutAsync(HttpRequest request, FaultInjector faults, CancellationToken cancellationToken)
    {
        FaultSettings? settings;
        try
        {
            settings = await JsonSerializer.DeserializeAsync<FaultSettings>(request.Body, Json, cancellationToken);
        }
        catch (JsonException exception)
        {
            var field = exception.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : "body";
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [$"is not valid here: {FirstLine(exception.Message)}"] });
        }

        if (settings is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["must be a JSON object."] });
        }

        var errors = settings.Validate();
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        faults.Apply(settings);
        return TypedResults.Ok(faults.Current);
    }

    /// <summary>Whoever steers the faults decides what the fleet reports, so only the holder of the simulator's token may.</summary>
    private static async ValueTask<object?> RequireTokenAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var expected = http.RequestServices.GetRequiredService<IOptions<SimulatorOptions>>().Value.Simulator.FaultsToken;
        if (string.IsNullOrEmpty(expected))
        {
            return Unauthorized(http, "The faults API is locked", $"{FleetConfigKeys.SimulatorFaultsToken} is not set, so nobody may read or change the faults.");
        }

        if (!SecretComparer.Matches(AuthorizationHeader.Credential(http.Request, Scheme), expected))
        {
            return Unauthorized(http, "A simulator token is needed", "Send Authorization: Bearer <simulator token>.");
        }

        return await next(context);
    }

    private static ProblemHttpResult Unauthorized(HttpContext http, string title, string detail)
    {
        http.Response.Headers.WWWAuthenticate = Scheme;
        return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: title, detail: detail);
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
