using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Instrumentation.AspNetCore;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every Fleet service shares, as Aspire's ServiceDefaults project does: OpenTelemetry, health
/// endpoints, service discovery and the standard resilience handler on every HttpClient.
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";
    public const string LiveTag = "live";
    public const string PrometheusEndpointPath = "/metrics";

    /// <summary>The longest any readiness check may take.</summary>
    public static readonly TimeSpan HealthCheckTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Names of the ActivitySources and Meters Fleet's own code uses; every service listens to them.</summary>
    public const string FleetTelemetryPrefix = "Fleet.";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // The resilience pipeline logs every attempt at Information; retries and failures still show as warnings.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.Configure<TraceBudgetOptions>(builder.Configuration.GetSection(TraceBudgetOptions.Section));
        builder.Services.AddSingleton(services => new TraceBudgetSampler(
            services.GetRequiredService<IOptions<TraceBudgetOptions>>().Value, services.GetService<TimeProvider>() ?? TimeProvider.System));
        builder.Services.AddOptions<AspNetCoreTraceInstrumentationOptions>().Configure<TraceBudgetSampler>((options, budget) =>
            // Probes would drown the traces that matter; device traffic is recorded up to its budget.
            options.Filter = context =>
                !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath)
                && !context.Request.Path.StartsWithSegments(PrometheusEndpointPath)
                && budget.ShouldRecordRequest(context.Request.Path.Value ?? "/"));
        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(FleetTelemetryPrefix + "*")
                // Prometheus is opt-in per service: it maps app.MapPrometheusScrapingEndpoint() (/metrics). The exporter
                // is pull-based and collects only when scraped, so it costs nothing in a service that does not map it.
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .SetSampler(services => services.GetRequiredService<TraceBudgetSampler>())
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(FleetTelemetryPrefix + "*")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        // Aspire's client integrations register their checks without a timeout; a server that is down must make /health
        // answer Unhealthy quickly, not hang a probe for the client's connect timeout.
        builder.Services.PostConfigure<HealthCheckServiceOptions>(options =>
        {
            foreach (var registration in options.Registrations)
            {
                registration.Timeout = registration.Timeout == Timeout.InfiniteTimeSpan || registration.Timeout > HealthCheckTimeout ? HealthCheckTimeout : registration.Timeout;
            }
        });
        return builder;
    }

    /// <summary>
    /// <c>/health</c>: ready only when every check (database, cache, ...) passes.
    /// <c>/alive</c>: the process answers. Both are mapped in every environment because Kubernetes probes them.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(LiveTag),
            ResponseWriter = HealthReportWriter.WriteAsync,
        });
        return app;
    }
}
