using Fleet.Api.Alerts;
using Fleet.Api.Audit;
using Fleet.Api.Commands;
using Fleet.Api.Devices;
using Fleet.Api.Extensions;
using Fleet.Api.Firmware;
using Fleet.Api.Identity;
using Fleet.Api.Infrastructure;
using Fleet.Api.Rollouts;
using Fleet.Api.Stats;
using Fleet.Api.Status;
using Fleet.Api.Telemetry;
using Fleet.Contracts;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
if (MigrationCommand.IsRequested(args))
{
    Environment.ExitCode = await MigrationCommand.RunAsync(app.Services, args);
    return;
}

if (!SettingsCheck.Passes(app.Services, "Fleet.Api", Console.Error))
{
    Environment.ExitCode = 2;
    return;
}

app.UseExceptionHandler();
app.UseStatusCodePages();
// Who is asking comes first: an anonymous caller gets a 401, not an opinion on its body. Device calls carry a device
// key that their endpoints check (DeviceAuthFilter); operator authentication has nothing to say about them, and its
// handlers (OpenIddict's server and validation dispatch their whole chains on every request) were a sixth of the api's
// CPU on one-reading telemetry (bench/small-messages.sh). An operator route never lives under the device prefix
// (DeviceEndpointsTests.Every_route_under_the_device_prefix_...), so skipping it there fails closed.
app.UseWhen(http => !http.Request.Path.StartsWithSegments(FleetHttp.DeviceRoutesPrefix), operatorCalls => operatorCalls.UseAuthentication());
// WebApplication puts UseAuthentication() at the front of the pipeline unless the app called it, and a call inside a
// branch is not seen: the app says so itself, with the key UseAuthentication sets (internal to ASP.NET Core;
// DeviceCallsSkipOperatorAuthenticationTests fails if device calls reach OpenIddict again).
((IApplicationBuilder)app).Properties["__AuthenticationMiddlewareSet"] = true;
app.UseAuthorization();
app.UseRequestBodyLimits();
app.UseMiddleware<RequestTextGuard>();
app.UseMiddleware<RequestContentTypeGuard>();
app.UseAntiforgery();
app.UseWebSockets();
// The API's description is for developers: served in Development, elsewhere only when Fleet:Http:PublishApiReference says so.
if (app.Environment.IsDevelopment() || app.Configuration.GetValue<bool>("Fleet:Http:PublishApiReference"))
{
    app.MapOpenApi();
    app.MapScalarApiReference();
}

app.MapGet("/", () => TypedResults.Ok(new { service = "Fleet.Api" })).ExcludeFromDescription();
app.MapIdentity();
app.MapDevicesApi();
app.MapOperatorDevicesApi();
app.MapTelemetryApi();
app.MapStatusApi();
app.MapAlertsApi();
app.MapGroup(string.Empty).WithBodyLimitSetByHandler().MapFirmwareApi();
app.MapRolloutsApi();
app.MapAuditApi();
app.MapCommandsApi();
app.MapStatsApi();
app.MapDeviceChannel();
app.MapDefaultEndpoints();
app.MapPrometheusScrapingEndpoint();

app.Run();
