using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Fleet.Dashboard;

/// <summary>The dashboard's settings (section <c>Dashboard</c>); the AppHost sets them through environment variables.</summary>
public sealed class DashboardOptions
{
    public const string Section = "Dashboard";

    public FrontendOptions Frontend { get; set; } = new();

    public OtlpOptions Otlp { get; set; } = new();

    public StorageOptions Storage { get; set; } = new();

    public ResourceServiceOptions ResourceService { get; set; } = new();
}

public sealed class FrontendOptions
{
    /// <summary>UI, JSON query API and OTLP/HTTP, on HTTP/1.1. Falls back to ASPNETCORE_URLS.</summary>
    public string? Url { get; set; }

    /// <summary>The login token the pages and the query API require when the frontend is not bound to loopback.</summary>
    public string? BrowserToken { get; set; }
}

public sealed class OtlpOptions
{
    public const string ApiKeyHeader = "x-otlp-api-key";

    /// <summary>OTLP/gRPC, on an HTTP/2-only (h2c) port: without TLS Kestrel cannot negotiate HTTP/2 next to HTTP/1.1.</summary>
    public string GrpcUrl { get; set; } = "http://127.0.0.1:18889";

    /// <summary>When set, every OTLP request must carry it in <see cref="ApiKeyHeader"/>.</summary>
    public string? ApiKey { get; set; }

    [Range(1024, 256 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 16 * 1024 * 1024;
}

public sealed class StorageOptions
{
    [Range(1, 10_000_000)]
    public int MaxSpansPerResource { get; set; } = 20_000;

    [Range(1, 10_000_000)]
    public int MaxLogRecordsPerResource { get; set; } = 20_000;

    [Range(1, 10_000_000)]
    public int MaxMetricPointsPerResource { get; set; } = 50_000;
}

public sealed class ResourceServiceOptions
{
    public const string ApiKeyHeader = "x-resource-service-key";

    /// <summary>The AppHost's resource API; unset when the dashboard runs on its own.</summary>
    public string? Url { get; set; }

    public string? ApiKey { get; set; }
}

/// <summary>Where a URL from configuration asks Kestrel to listen.</summary>
public sealed record ListenAddress(IPAddress Address, int Port)
{
    public bool IsLoopback => IPAddress.IsLoopback(Address);

    public static ListenAddress Parse(string url, string setting)
    {
        var normalized = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new InvalidOperationException($"{setting} must be an http:// URL; got '{url}'.");
        }

        var address = uri.Host is "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsed) ? parsed
            : throw new InvalidOperationException($"{setting} must name an IP address or localhost; got '{uri.Host}'.");
        return new ListenAddress(address, uri.Port);
    }
}
