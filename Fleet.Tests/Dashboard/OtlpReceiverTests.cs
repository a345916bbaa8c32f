using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Fleet.Tests.Dashboard;

/// <summary>The OpenTelemetry .NET exporter, as every Fleet service runs it, talking to a real dashboard.</summary>
public sealed partial class OtlpReceiverTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    public static TheoryData<string> Protocols => ["grpc", "http/protobuf"];

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task Spans_logs_and_metrics_from_the_exporter_are_found_through_the_query_api(string protocol)
    {
        await using var dashboard = await DashboardServer.StartAsync();
        var service = $"svc-{protocol.Replace('/', '-')}-{Guid.NewGuid():N}"[..24];
        var sourceName = $"Fleet.Tests.{Guid.NewGuid():N}";

        string traceId;
        using (var tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(service))
            .AddSource(sourceName)
            .AddOtlpExporter(options => Configure(options, dashboard, protocol, "traces"))
            .Build())
        using (var source = new ActivitySource(sourceName))
        {
            using (var parent = source.StartActivity("ingest batch", ActivityKind.Server)!)
            {
                parent.SetTag("fleet.batch.size", 42);
                traceId = parent.TraceId.ToHexString();
                using var child = source.StartActivity("COPY telemetry", ActivityKind.Client)!;
                child.SetTag("db.system", "postgresql");
                child.AddEvent(new ActivityEvent("rows written", tags: new ActivityTagsCollection { ["rows"] = 42 }));
                child.SetStatus(ActivityStatusCode.Error, "disk full");
            }

            tracing.ForceFlush(10_000).ShouldBeTrue();
        }

        using (var loggerFactory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(options =>
        {
            options.SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(service));
            options.AddOtlpExporter(exporter => Configure(exporter, dashboard, protocol, "logs"));
        })))
        {
            LogReadings(loggerFactory.CreateLogger("Fleet.Tests.Ingest"), "SN-0042", 7);
        }

        var meterName = $"Fleet.Tests.{Guid.NewGuid():N}";
        using (var metrics = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(service))
            .AddMeter(meterName)
            .AddOtlpExporter(options => Configure(options, dashboard, protocol, "metrics"))
            .Build())
        using (var meter = new Meter(meterName))
        {
            meter.CreateCounter<long>("fleet.telemetry.points_accepted", unit: "{point}").Add(5, new KeyValuePair<string, object?>("region", "eu"));
            metrics.ForceFlush(10_000).ShouldBeTrue();
        }

        var trace = await Eventually.GetAsync(
            async () => (await dashboard.GetAsync<List<TraceSummaryDto>>($"/api/traces?resource={service}")).FirstOrDefault(t => t.TraceId == traceId && t.SpanCount == 2),
            Deadline, "the trace", TestContext.Current.CancellationToken);
        trace.RootName.ShouldBe("ingest batch");
        trace.HasError.ShouldBeTrue();

        var detail = await dashboard.GetAsync<TraceDto>($"/api/traces/{traceId}");
        var root = detail.Spans.Single(span => span.Name == "ingest batch");
        root.Resource.ShouldBe(service);
        root.Kind.ShouldBe("Server");
        root.Attributes["fleet.batch.size"].ShouldBe("42");
        var copy = detail.Spans.Single(span => span.Name == "COPY telemetry");
        copy.ParentSpanId.ShouldBe(root.SpanId);
        copy.Attributes["db.system"].ShouldBe("postgresql");
        copy.Status.ShouldBe("Error");
        copy.Events.Single().Attributes["rows"].ShouldBe("42");

        var log = await Eventually.GetAsync(
            async () => (await dashboard.GetAsync<List<LogDto>>($"/api/logs?resource={service}&level=Warning&q=SN-0042")).FirstOrDefault(),
            Deadline, "the log record", TestContext.Current.CancellationToken);
        log.Category.ShouldBe("Fleet.Tests.Ingest");
        log.Level.ShouldBe("Warning");
        log.Attributes["DeviceSerial"].ShouldBe("SN-0042");
        log.Attributes["Count"].ShouldBe("7");

        var instrument = await Eventually.GetAsync(
            async () => (await dashboard.GetAsync<List<InstrumentSummaryDto>>($"/api/metrics?resource={service}"))
                .FirstOrDefault(i => i.Instrument.Name == "fleet.telemetry.points_accepted"),
            Deadline, "the metric", TestContext.Current.CancellationToken);
        instrument.Instrument.Meter.ShouldBe(meterName);
        instrument.Instrument.Type.ShouldBe("counter");
        instrument.Instrument.Unit.ShouldBe("{point}");
        var point = instrument.LatestPoints.Single();
        point.Value.ShouldBe(5);
        point.Attributes["region"].ShouldBe("eu");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task Otlp_http_without_the_right_key_is_401_and_stores_nothing(string? key)
    {
        await using var dashboard = await DashboardServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/traces") { Content = Protobuf(OtlpSamples.OneSpan("intruder")) };
        if (key is not null)
        {
            request.Headers.Add("x-otlp-api-key", key);
        }

        using var response = await dashboard.Client.SendAsync(request, TestContext.Current.CancellationToken);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await dashboard.GetAsync<List<ResourceViewDto>>("/api/resources")).ShouldBeEmpty();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task Otlp_grpc_without_the_right_key_is_unauthenticated(string? key)
    {
        await using var dashboard = await DashboardServer.StartAsync();

        var (status, _) = await OtlpSamples.SendGrpcAsync(dashboard.GrpcUrl, OtlpSamples.OneSpan("intruder"), key);

        status.ShouldBe("16");
        (await dashboard.GetAsync<List<ResourceViewDto>>("/api/resources")).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_garbage_body_is_400_and_the_receiver_keeps_serving()
    {
        await using var dashboard = await DashboardServer.StartAsync();

        using var garbage = await PostAsync(dashboard, "/v1/traces", new ByteArrayContent([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]));
        garbage.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var (grpcStatus, _) = await OtlpSamples.SendGrpcAsync(dashboard.GrpcUrl, [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01], dashboard.ApiKey);
        grpcStatus.ShouldBe("3");

        using var good = await PostAsync(dashboard, "/v1/traces", Protobuf(OtlpSamples.OneSpan("after-garbage")));
        good.StatusCode.ShouldBe(HttpStatusCode.OK);
        var (okStatus, _) = await OtlpSamples.SendGrpcAsync(dashboard.GrpcUrl, OtlpSamples.OneSpan("after-garbage-grpc"), dashboard.ApiKey);
        okStatus.ShouldBe("0");
        var resources = await dashboard.GetAsync<List<ResourceViewDto>>("/api/resources");
        resources.Select(r => r.Name).ShouldBe(["after-garbage", "after-garbage-grpc"], ignoreOrder: true);
    }

    [Fact]
    public async Task Otlp_http_with_another_content_type_is_415()
    {
        await using var dashboard = await DashboardServer.StartAsync();
        using var response = await PostAsync(dashboard, "/v1/logs", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Device {DeviceSerial} sent {Count} readings")]
    private static partial void LogReadings(ILogger logger, string deviceSerial, int count);

    private static void Configure(OtlpExporterOptions options, DashboardServer dashboard, string protocol, string signal)
    {
        options.Protocol = protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
        options.Endpoint = new Uri(protocol == "grpc" ? dashboard.GrpcUrl : $"{dashboard.FrontendUrl}/v1/{signal}");
        options.Headers = $"x-otlp-api-key={dashboard.ApiKey}";
    }

    private static ByteArrayContent Protobuf(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        return content;
    }

    private static Task<HttpResponseMessage> PostAsync(DashboardServer dashboard, string path, HttpContent content)
    {
        if (content.Headers.ContentType is null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        }

        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Add("x-otlp-api-key", dashboard.ApiKey);
        return dashboard.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
