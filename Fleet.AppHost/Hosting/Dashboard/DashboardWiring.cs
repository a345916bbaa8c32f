using System.Security.Cryptography;
using Fleet.AppHost.Hosting.Provisioning;
using Microsoft.Extensions.Configuration;

namespace Fleet.AppHost.Hosting.Dashboard;

/// <summary>Where the AppHost's resource API listens and the key the dashboard presents to it (new every run).</summary>
public sealed record ResourceServiceEndpoint(int Port, string ApiKey)
{
    public const string ApiKeyHeader = "x-resource-service-key";

    public string Url => $"http://127.0.0.1:{Port}";
}

/// <summary>What every project is told about OTLP: the dashboard's gRPC endpoint, or an endpoint from configuration.</summary>
public sealed record OtlpExporterSettings(string Endpoint, string? Protocol, string? Headers);

/// <summary>
/// Adds Fleet.Dashboard to the app model the way Aspire adds its dashboard: implicitly, first, with a
/// generated OTLP API key; and decides which OTLP endpoint the projects get.
/// </summary>
public static class DashboardWiring
{
    public const string ResourceName = "dashboard";
    public const string OtlpApiKeyParameter = "otlp-api-key";
    public const string BrowserTokenParameter = "dashboard-browser-token";
    public const string OtlpEndpointName = "otlp";
    public const int PreferredFrontendPort = 18888;
    public const int PreferredOtlpGrpcPort = 18889;

    public static bool IsEnabled(IConfiguration configuration) => configuration.GetValue(AppHostCommandLine.DashboardEnabledKey, true);

    /// <summary>An endpoint in configuration (OTEL_EXPORTER_OTLP_ENDPOINT, then Fleet:OtlpEndpoint) wins over the dashboard.</summary>
    public static OtlpExporterSettings? ConfiguredEndpoint(IConfiguration configuration)
    {
        var endpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 } fromOtel ? fromOtel : configuration[AppHostCommandLine.OtlpEndpointKey];
        return string.IsNullOrWhiteSpace(endpoint)
            ? null
            : new OtlpExporterSettings(endpoint, configuration["OTEL_EXPORTER_OTLP_PROTOCOL"], configuration["OTEL_EXPORTER_OTLP_HEADERS"]);
    }

    internal static (IResourceBuilder<ProjectResource> Dashboard, OtlpExporterSettings Otlp, ResourceServiceEndpoint ResourceService) AddDashboard(
        DistributedApplicationBuilder builder)
    {
        var apiKey = builder.AddParameter(OtlpApiKeyParameter, secret: true);
        var grpcUrl = $"http://127.0.0.1:{PortAllocator.Choose(PreferredOtlpGrpcPort)}";
        var resourceService = new ResourceServiceEndpoint(PortAllocator.Choose(), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        var dashboard = builder.AddProject(ResourceName, "../Fleet.Dashboard/Fleet.Dashboard.csproj")
            .WithEnvironment("Dashboard__Otlp__GrpcUrl", grpcUrl)
            .WithEnvironment("Dashboard__Otlp__ApiKey", apiKey)
            .WithEnvironment("Dashboard__ResourceService__Url", resourceService.Url)
            .WithEnvironment("Dashboard__ResourceService__ApiKey", resourceService.ApiKey)
            .WithHttpHealthCheck("/health");
        dashboard.Resource.IsDashboard = true;
        dashboard.Resource.PreferredPort = PreferredFrontendPort;
        var otlp = new OtlpExporterSettings(grpcUrl, "grpc", $"x-otlp-api-key={apiKey.Resource.Value}");
        return (dashboard, otlp, resourceService);
    }

    /// <summary>
    /// The dashboard as it runs in a cluster: listening beyond loopback, so behind a browser login token; OTLP on
    /// its own HTTP/2 port; no AppHost resource service to ask (there is no AppHost there).
    /// </summary>
    internal static IResourceBuilder<ProjectResource> AddDashboardForPublishing(DistributedApplicationBuilder builder)
    {
        var apiKey = builder.AddParameter(OtlpApiKeyParameter, secret: true);
        var browserToken = builder.AddParameter(BrowserTokenParameter, secret: true);
        var dashboard = builder.AddProject(ResourceName, "../Fleet.Dashboard/Fleet.Dashboard.csproj")
            .WithEnvironment("Dashboard__Frontend__Url", $"http://0.0.0.0:{Publishing.PublishedPorts.Http}")
            .WithEnvironment("Dashboard__Frontend__BrowserToken", browserToken)
            .WithEnvironment("Dashboard__Otlp__GrpcUrl", $"http://0.0.0.0:{PreferredOtlpGrpcPort}")
            .WithEnvironment("Dashboard__Otlp__ApiKey", apiKey)
            .WithHttpHealthCheck("/health");
        dashboard.Resource.IsDashboard = true;
        dashboard.Resource.ExtraEndpoints.Add(new ProjectEndpoint(OtlpEndpointName, PreferredOtlpGrpcPort, "http2"));
        return dashboard;
    }
}
