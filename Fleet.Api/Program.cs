using Fleet.Api.Devices;
using Fleet.Api.Extensions;
using Fleet.Api.Status;
using Fleet.Api.Telemetry;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapOpenApi();
app.MapGet("/", () => TypedResults.Ok(new { service = "Fleet.Api" })).ExcludeFromDescription();
app.MapDevicesApi();
app.MapOperatorDevicesApi();
app.MapTelemetryApi();
app.MapStatusApi();
app.MapDefaultEndpoints();

app.Run();
