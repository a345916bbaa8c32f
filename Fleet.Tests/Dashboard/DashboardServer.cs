using System.Net.Http.Json;
using System.Text.Json;
using Fleet.AppHost.Hosting.Provisioning;
using Fleet.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace Fleet.Tests.Dashboard;

/// <summary>
/// Fleet.Dashboard on real Kestrel sockets in the test process (WebApplicationFactory's in-memory server
/// cannot carry OTLP/gRPC's HTTP/2), on free loopback ports.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplication _app;

    private DashboardServer(WebApplication app, string frontendUrl, string grpcUrl, string? apiKey)
    {
        _app = app;
        FrontendUrl = frontendUrl;
        GrpcUrl = grpcUrl;
        ApiKey = apiKey;
        Client = new HttpClient { BaseAddress = new Uri(frontendUrl) };
    }

    public string FrontendUrl { get; }

    public string GrpcUrl { get; }

    public string? ApiKey { get; }

    /// <summary>A client for the frontend: query API and OTLP/HTTP.</summary>
    public HttpClient Client { get; }

    public static async Task<DashboardServer> StartAsync(string? apiKey = "test-otlp-key", IDictionary<string, string?>? settings = null)
    {
        var frontendUrl = $"http://127.0.0.1:{PortAllocator.Choose()}";
        var grpcUrl = $"http://127.0.0.1:{PortAllocator.Choose()}";
        var configuration = new Dictionary<string, string?>
        {
            ["Dashboard:Frontend:Url"] = frontendUrl,
            ["Dashboard:Otlp:GrpcUrl"] = grpcUrl,
            ["Dashboard:Otlp:ApiKey"] = apiKey,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var app = DashboardApp.Build([], builder => builder.Configuration.AddInMemoryCollection(configuration));
        await app.StartAsync();
        return new DashboardServer(app, frontendUrl, grpcUrl, apiKey);
    }

    public async Task<T> GetAsync<T>(string path) =>
        (await Client.GetFromJsonAsync<T>(path, Json)) ?? throw new InvalidOperationException($"{path} returned null.");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record ResourceCountsDto(string Resource, int Spans, int LogRecords, int MetricPoints, long DroppedSpans, long DroppedLogRecords, long DroppedMetricPoints);

public sealed record ResourceViewDto(string Name, ResourceCountsDto? Telemetry);

public sealed record TraceSummaryDto(string TraceId, string RootName, string RootResource, IReadOnlyList<string> Resources, int SpanCount, double DurationMs, bool HasError);

public sealed record SpanEventDto(string Name, Dictionary<string, string> Attributes);

public sealed record SpanDto(
    string Resource, string TraceId, string SpanId, string? ParentSpanId, string Name, string Kind, DateTimeOffset Start, double DurationMs,
    Dictionary<string, string> Attributes, IReadOnlyList<SpanEventDto> Events, string Status);

public sealed record TraceDto(string TraceId, IReadOnlyList<SpanDto> Spans);

public sealed record LogDto(string Resource, string Level, string Category, string Message, string? TraceId, string? SpanId, Dictionary<string, string> Attributes);

public sealed record InstrumentDto(string Name, string Unit, string Type, string Meter);

public sealed record MetricPointDto(double Value, Dictionary<string, string> Attributes);

public sealed record InstrumentSummaryDto(string Resource, InstrumentDto Instrument, IReadOnlyList<MetricPointDto> LatestPoints);
