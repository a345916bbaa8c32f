using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.DeviceSim.Faults;

/// <summary><c>GET /faults</c> shows the faults in force; <c>PUT /faults</c> replaces them (absent fields take their defaults).</summary>
public static class FaultsApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static IEndpointRouteBuilder MapFaultsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/faults", (FaultInjector faults) => TypedResults.Ok(faults.Current))
            .WithSummary("The faults in force");
        app.MapPut("/faults", PutAsync)
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

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
