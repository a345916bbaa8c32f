using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using ProtoResource = OpenTelemetry.Proto.Resource.V1.Resource;

namespace Fleet.Tests.Dashboard;

/// <summary>Hand-built OTLP payloads and a raw gRPC call, for what the real exporter never sends (garbage, wrong keys, volume).</summary>
public static class OtlpSamples
{
    public static byte[] OneSpan(string service) => Spans(service, 1, 0).ToByteArray();

    public static ExportTraceServiceRequest Spans(string service, int count, int offset)
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "Fleet.Tests" } };
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        for (var i = 0; i < count; i++)
        {
            scope.Spans.Add(new Span
            {
                TraceId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()),
                SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)(offset + i + 1))),
                Name = $"span {offset + i}",
                Kind = Span.Types.SpanKind.Internal,
                StartTimeUnixNano = now,
                EndTimeUnixNano = now + 1_000_000,
            });
        }

        var resource = new ProtoResource();
        resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } });
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(new ResourceSpans { Resource = resource, ScopeSpans = { scope } });
        return request;
    }

    /// <summary>One unary gRPC call to TraceService/Export over h2c; returns grpc-status and grpc-message.</summary>
    public static async Task<(string? Status, string? Message)> SendGrpcAsync(string grpcUrl, byte[] message, string? apiKey)
    {
        using var http = new HttpClient();
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{grpcUrl}/opentelemetry.proto.collector.trace.v1.TraceService/Export")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(frame),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (apiKey is not null)
        {
            request.Headers.Add("x-otlp-api-key", apiKey);
        }

        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        string? Header(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var trailer) ? trailer.First()
            : response.Headers.TryGetValues(name, out var header) ? header.First()
            : null;
        return (Header("grpc-status"), Header("grpc-message"));
    }
}
