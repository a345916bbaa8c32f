using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Trace.V1;
using ProtoResource = OpenTelemetry.Proto.Resource.V1.Resource;

// Starts Fleet.Dashboard as its own process, pushes OTLP/gRPC span batches from a few concurrent senders for a
// fixed time (spans/s accepted), then fills logs and metric points to the bounds too and reads the dashboard's
// resident memory. Usage: dotnet run --project bench/Fleet.DashboardBench -c Release -- [--seconds 20]
//   [--warmup 3] [--concurrency 4] [--batch 512] [--resources 10]
var options = Options.Parse(args);
var root = FindRepositoryRoot();
var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!)!;
var dashboardDll = Path.Combine(root, "Fleet.Dashboard", "bin", configuration, "net10.0", "Fleet.Dashboard.dll");
var frontend = $"http://127.0.0.1:{FreePort()}";
var grpc = $"http://127.0.0.1:{FreePort()}";
const string apiKey = "bench-key";

var start = new ProcessStartInfo("dotnet") { ArgumentList = { dashboardDll }, RedirectStandardOutput = true, RedirectStandardError = true };
start.Environment["ASPNETCORE_URLS"] = frontend;
start.Environment["Dashboard__Otlp__GrpcUrl"] = grpc;
start.Environment["Dashboard__Otlp__ApiKey"] = apiKey;
start.Environment["Logging__LogLevel__Default"] = "Warning";
using var dashboard = Process.Start(start)!;
dashboard.OutputDataReceived += (_, _) => { };
dashboard.ErrorDataReceived += (_, _) => { };
dashboard.BeginOutputReadLine();
dashboard.BeginErrorReadLine();
try
{
    using var http = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = true }) { Timeout = TimeSpan.FromSeconds(30) };
    await WaitForHealthAsync(http, frontend);
    Console.WriteLine($"dashboard {configuration} pid {dashboard.Id}, idle RSS {RssMegabytes(dashboard.Id):0} MB");

    var spanBatches = Enumerable.Range(0, options.Resources).Select(r => Enumerable.Range(0, 48).Select(i => SpanBatch($"svc-{r}", options.Batch)).ToArray()).ToArray();
    long spans = 0;
    var clock = Stopwatch.StartNew();
    var warmupEnd = TimeSpan.FromSeconds(options.Warmup);
    var end = warmupEnd + TimeSpan.FromSeconds(options.Seconds);
    var senders = Enumerable.Range(0, options.Concurrency).Select(async worker =>
    {
        var i = worker;
        while (clock.Elapsed < end)
        {
            var resource = spanBatches[i % options.Resources];
            await ExportAsync(http, grpc, "opentelemetry.proto.collector.trace.v1.TraceService", resource[i / options.Resources % resource.Length]);
            if (clock.Elapsed >= warmupEnd)
            {
                Interlocked.Add(ref spans, options.Batch);
            }

            i += options.Concurrency;
        }
    }).ToList();
    while (clock.Elapsed < warmupEnd)
    {
        await Task.Delay(50);
    }

    dashboard.Refresh();
    var cpuBefore = dashboard.TotalProcessorTime;
    var measureStart = clock.Elapsed;
    await Task.WhenAll(senders);
    var measured = (clock.Elapsed - measureStart).TotalSeconds;
    dashboard.Refresh();
    var cpu = (dashboard.TotalProcessorTime - cpuBefore).TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"OTLP/gRPC spans: {Interlocked.Read(ref spans) / measured:N0} spans/s over {measured:0.0} s ({options.Concurrency} senders, {options.Batch} spans per export, {options.Resources} resources); dashboard CPU {cpu / measured * 100:0}% of one core"));
    Console.WriteLine($"RSS with spans at the bound: {RssMegabytes(dashboard.Id):0} MB");

    // Logs and metric points up to their bounds for every resource, then the memory of a full dashboard.
    foreach (var r in Enumerable.Range(0, options.Resources))
    {
        for (var sent = 0; sent < 22_000; sent += 1000)
        {
            await ExportAsync(http, grpc, "opentelemetry.proto.collector.logs.v1.LogsService", LogBatch($"svc-{r}", 1000));
        }

        for (var sent = 0; sent < 55_000; sent += 1000)
        {
            await ExportAsync(http, grpc, "opentelemetry.proto.collector.metrics.v1.MetricsService", MetricBatch($"svc-{r}", 1000));
        }
    }

    var resources = JsonDocument.Parse(await http.GetStringAsync($"{frontend}/api/resources")).RootElement;
    long Sum(string field) => resources.EnumerateArray().Sum(r => r.GetProperty("telemetry").GetProperty(field).GetInt64());
    Console.WriteLine($"held: {Sum("spans"):N0} spans, {Sum("logRecords"):N0} log records, {Sum("metricPoints"):N0} metric points; dropped {Sum("droppedSpans"):N0} spans, {Sum("droppedLogRecords"):N0} logs, {Sum("droppedMetricPoints"):N0} points");
    Console.WriteLine($"RSS full (all bounds reached for {options.Resources} resources): {RssMegabytes(dashboard.Id):0} MB");
}
finally
{
    dashboard.Kill();
    await dashboard.WaitForExitAsync();
}

static async Task ExportAsync(HttpClient http, string grpcUrl, string service, byte[] message)
{
    var frame = new byte[5 + message.Length];
    BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
    message.CopyTo(frame, 5);
    using var request = new HttpRequestMessage(HttpMethod.Post, $"{grpcUrl}/{service}/Export")
    {
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Content = new ByteArrayContent(frame),
    };
    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
    request.Headers.TryAddWithoutValidation("te", "trailers");
    request.Headers.Add("x-otlp-api-key", apiKey);
    using var response = await http.SendAsync(request);
    await response.Content.ReadAsByteArrayAsync();
    var status = response.TrailingHeaders.TryGetValues("grpc-status", out var values) ? values.First()
        : response.Headers.TryGetValues("grpc-status", out var headers) ? headers.First() : null;
    if (status != "0")
    {
        throw new InvalidOperationException($"Export to {service} answered grpc-status {status}.");
    }
}

static ProtoResource Resource(string service)
{
    var resource = new ProtoResource();
    resource.Attributes.Add(Text("service.name", service));
    resource.Attributes.Add(Text("service.instance.id", service + "-0"));
    return resource;
}

static KeyValue Text(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

// Traces of four spans (server, two clients, internal) with attributes as ASP.NET Core and Npgsql write them.
static byte[] SpanBatch(string service, int count)
{
    var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "Microsoft.AspNetCore" } };
    var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
    ByteString traceId = ByteString.Empty, rootId = ByteString.Empty;
    for (var i = 0; i < count; i++)
    {
        if (i % 4 == 0)
        {
            traceId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray());
        }

        var spanId = ByteString.CopyFrom(BitConverter.GetBytes(Random.Shared.NextInt64()));
        var span = new Span
        {
            TraceId = traceId,
            SpanId = spanId,
            ParentSpanId = i % 4 == 0 ? ByteString.Empty : rootId,
            Name = i % 4 == 0 ? "POST /api/v1/device/telemetry" : "INSERT fleetdb",
            Kind = i % 4 == 0 ? Span.Types.SpanKind.Server : Span.Types.SpanKind.Client,
            StartTimeUnixNano = now + (ulong)i * 1000,
            EndTimeUnixNano = now + (ulong)i * 1000 + 2_000_000,
            Attributes =
            {
                Text("http.request.method", "POST"), Text("url.path", "/api/v1/device/telemetry"), Text("http.route", "/api/v1/device/telemetry"),
                Text("server.address", "127.0.0.1"), Text("db.system", "postgresql"), Text("db.namespace", "fleetdb"),
                new KeyValue { Key = "http.response.status_code", Value = new AnyValue { IntValue = 202 } },
                Text("device.id", Guid.NewGuid().ToString()),
            },
        };
        if (i % 4 == 0)
        {
            rootId = spanId;
        }

        scope.Spans.Add(span);
    }

    var request = new ExportTraceServiceRequest();
    request.ResourceSpans.Add(new ResourceSpans { Resource = Resource(service), ScopeSpans = { scope } });
    return request.ToByteArray();
}

static byte[] LogBatch(string service, int count)
{
    var scope = new ScopeLogs { Scope = new InstrumentationScope { Name = "Fleet.Api.Telemetry.TelemetryWriter" } };
    var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
    for (var i = 0; i < count; i++)
    {
        scope.LogRecords.Add(new LogRecord
        {
            TimeUnixNano = now + (ulong)i,
            SeverityNumber = SeverityNumber.Info,
            Body = new AnyValue { StringValue = $"Wrote {i} telemetry points in one COPY" },
            Attributes = { Text("Count", i.ToString(CultureInfo.InvariantCulture)), Text("{OriginalFormat}", "Wrote {Count} telemetry points in one COPY") },
            TraceId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()),
            SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)i)),
        });
    }

    var request = new ExportLogsServiceRequest();
    request.ResourceLogs.Add(new ResourceLogs { Resource = Resource(service), ScopeLogs = { scope } });
    return request.ToByteArray();
}

static byte[] MetricBatch(string service, int count)
{
    var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
    var sum = new Sum { IsMonotonic = true, AggregationTemporality = AggregationTemporality.Cumulative };
    for (var i = 0; i < count; i++)
    {
        sum.DataPoints.Add(new NumberDataPoint
        {
            TimeUnixNano = now + (ulong)i,
            AsInt = i,
            Attributes = { Text("http.route", $"/route/{i % 20}"), Text("http.response.status_code", "200") },
        });
    }

    var request = new ExportMetricsServiceRequest();
    request.ResourceMetrics.Add(new ResourceMetrics
    {
        Resource = Resource(service),
        ScopeMetrics = { new ScopeMetrics { Scope = new InstrumentationScope { Name = "Fleet.Telemetry" }, Metrics = { new Metric { Name = "fleet.telemetry.points_accepted", Unit = "{point}", Sum = sum } } } },
    });
    return request.ToByteArray();
}

static async Task WaitForHealthAsync(HttpClient http, string frontend)
{
    var deadline = DateTime.UtcNow.AddSeconds(30);
    while (true)
    {
        try
        {
            if ((await http.GetAsync($"{frontend}/health")).IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException) when (DateTime.UtcNow < deadline)
        {
        }

        await Task.Delay(100);
    }
}

static double RssMegabytes(int pid) =>
    File.ReadLines($"/proc/{pid}/status").Where(line => line.StartsWith("VmRSS:", StringComparison.Ordinal))
        .Select(line => double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024).First();

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static string FindRepositoryRoot()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Fleet.Aspire.sln")))
        {
            return directory.FullName;
        }
    }

    throw new InvalidOperationException("Run from inside the repository.");
}

internal sealed record Options(int Seconds, int Warmup, int Concurrency, int Batch, int Resources)
{
    public static Options Parse(string[] args)
    {
        int Get(string name, int fallback)
        {
            var index = Array.IndexOf(args, name);
            return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
        }

        return new Options(Get("--seconds", 20), Get("--warmup", 3), Get("--concurrency", 4), Get("--batch", 512), Get("--resources", 10));
    }
}
