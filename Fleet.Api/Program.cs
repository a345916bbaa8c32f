using Fleet.Api.Alerts;
using Fleet.Api.Audit;
using Fleet.Api.Commands;
using Fleet.Api.Devices;
using Fleet.Api.Extensions;
using Fleet.Api.Firmware;
using Fleet.Api.Rollouts;
using Fleet.Api.Stats;
using Fleet.Api.Status;
using Fleet.Api.Telemetry;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
if (Fleet.Api.Infrastructure.MigrationCommand.IsRequested(args))
{
    Environment.ExitCode = await Fleet.Api.Infrastructure.MigrationCommand.RunAsync(app.Services, args);
    return;
}

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseWebSockets();
app.MapOpenApi();
if (app.Environment.IsDevelopment())
{
    app.MapScalarApiReference();
}

app.MapGet("/", () => TypedResults.Ok(new { service = "Fleet.Api" })).ExcludeFromDescription();
app.MapDevicesApi();
app.MapOperatorDevicesApi();
app.MapTelemetryApi();
app.MapStatusApi();
app.MapAlertsApi();
app.MapFirmwareApi();
app.MapRolloutsApi();
app.MapAuditApi();
app.MapCommandsApi();
app.MapStatsApi();
app.MapDeviceChannel();
app.MapDefaultEndpoints();
app.MapPrometheusScrapingEndpoint();

app.Run();
