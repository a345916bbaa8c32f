using System.Text.Json;
using Fleet.Contracts;

// The bare ceiling for one-reading telemetry: the same route and body as the api's device path, parsed with the
// serializer and answered 202 with the same answer, and nothing else (no auth lookup, rate limit, dedup or storage,
// no logging, tracing or metrics). bench/small-messages.sh runs it beside the api and prints the api's share of it.
//   dotnet run -c Release --project bench/Fleet.BareKestrel -- --urls http://127.0.0.1:5099
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();

app.MapPost(FleetHttp.TelemetryRoute, async (HttpRequest request, CancellationToken cancellationToken) =>
{
    if (request.Headers.Authorization.Count == 0)
    {
        return Results.Unauthorized();
    }

    var batch = await JsonSerializer.DeserializeAsync<TelemetryBatchRequest>(request.Body, JsonSerializerOptions.Web, cancellationToken);
    var readings = batch?.Readings ?? [];
    var points = readings.Sum(r => r.Metrics?.Count ?? 0);
    return readings.Count > 0 ? Results.Accepted(null, new TelemetryAccepted(readings.Count, points)) : Results.BadRequest();
});

app.Run();
