using System.Text.Json.Serialization;
using Fleet.Dashboard.Api;
using Fleet.Dashboard.Components;
using Fleet.Dashboard.Otlp;
using Fleet.Dashboard.Resources;
using Fleet.Dashboard.Storage;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using MudBlazor.Services;

namespace Fleet.Dashboard;

/// <summary>
/// Builds the dashboard: an HTTP/1.1 frontend (pages, query API, OTLP/HTTP) and an HTTP/2-only OTLP/gRPC
/// endpoint, as the Aspire dashboard separates them. Tests build it the same way on free ports.
/// </summary>
public static class DashboardApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(DashboardApp).Assembly.GetName().Name,
        });
        configure?.Invoke(builder);

        builder.Services.AddOptions<DashboardOptions>()
            .Bind(builder.Configuration.GetSection(DashboardOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var settings = builder.Configuration.GetSection(DashboardOptions.Section).Get<DashboardOptions>() ?? new DashboardOptions();
        var frontendUrl = settings.Frontend.Url
            ?? builder.Configuration["urls"]?.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()
            ?? "http://127.0.0.1:18888";
        var frontend = ListenAddress.Parse(frontendUrl, "Dashboard:Frontend:Url");
        var grpc = ListenAddress.Parse(settings.Otlp.GrpcUrl, "Dashboard:Otlp:GrpcUrl");
        if (!frontend.IsLoopback && string.IsNullOrEmpty(settings.Frontend.BrowserToken))
        {
            throw new InvalidOperationException("The dashboard frontend is bound beyond loopback: set Dashboard:Frontend:BrowserToken so pages and the query API need a login.");
        }

        // Serves MudBlazor's and Blazor's files from the build output in every environment, not only Development
        // (a no-op once published, where they sit in wwwroot).
        builder.WebHost.UseStaticWebAssets();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = settings.Otlp.MaxRequestBytes;
            kestrel.Listen(frontend.Address, frontend.Port, listen => listen.Protocols = HttpProtocols.Http1);
            kestrel.Listen(grpc.Address, grpc.Port, listen => listen.Protocols = HttpProtocols.Http2);
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Error);
        // Every OTLP export is a request: logged at Information they would flood the AppHost's console.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc.AspNetCore.Server.ServerCallHandler", LogLevel.Warning);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TelemetryStore>();
        builder.Services.AddSingleton<TelemetryQueries>();
        builder.Services.AddSingleton<DashboardLogin>();
        builder.Services.AddHttpClient<AppHostResourceClient>(http => http.Timeout = TimeSpan.FromSeconds(10));
        builder.Services.AddGrpc(options => options.MaxReceiveMessageSize = settings.Otlp.MaxRequestBytes);
        builder.Services.AddSingleton<IServiceMethodProvider<OtlpGrpcReceiver>, OtlpGrpcMethodProvider>();
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddProblemDetails();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();

        var app = builder.Build();
        app.UseMiddleware<OtlpApiKeyMiddleware>();
        app.UseMiddleware<DashboardLoginMiddleware>();
        app.UseStatusCodePages();
        app.UseAntiforgery();

        app.MapGrpcService<OtlpGrpcReceiver>();
        app.MapOtlpHttpApi();
        app.MapQueryApi();
        DashboardLogin.MapLogin(app);
        app.MapGet("/health", () => TypedResults.Ok(new { status = "Healthy" })).ExcludeFromDescription();
        app.MapGet("/alive", () => TypedResults.Ok(new { status = "Healthy" })).ExcludeFromDescription();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
