using System.IO.Compression;
using Fleet.Dashboard.Storage;
using Google.Protobuf;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace Fleet.Dashboard.Otlp;

/// <summary>OTLP/HTTP with binary protobuf bodies: <c>POST /v1/traces</c>, <c>/v1/logs</c>, <c>/v1/metrics</c>.</summary>
public static class OtlpHttpApi
{
    public const string ProtobufContentType = "application/x-protobuf";

    public static IEndpointRouteBuilder MapOtlpHttpApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").ExcludeFromDescription();
        group.MapPost("/traces", (HttpRequest request, TelemetryStore store, IOptions<DashboardOptions> options, CancellationToken cancellationToken) =>
            ReceiveAsync(request, options, ExportTraceServiceRequest.Parser, message => store.AddSpans(OtlpDecoder.Spans(message)), new ExportTraceServiceResponse(), cancellationToken));
        group.MapPost("/logs", (HttpRequest request, TelemetryStore store, IOptions<DashboardOptions> options, CancellationToken cancellationToken) =>
            ReceiveAsync(request, options, ExportLogsServiceRequest.Parser, message => store.AddLogs(OtlpDecoder.Logs(message)), new ExportLogsServiceResponse(), cancellationToken));
        group.MapPost("/metrics", (HttpRequest request, TelemetryStore store, IOptions<DashboardOptions> options, CancellationToken cancellationToken) =>
            ReceiveAsync(request, options, ExportMetricsServiceRequest.Parser, message =>
            {
                foreach (var (resource, points) in OtlpDecoder.MetricPoints(message))
                {
                    store.AddMetricPoints(resource, points);
                }
            }, new ExportMetricsServiceResponse(), cancellationToken));
        return app;
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ReceiveAsync<T>(
        HttpRequest request, IOptions<DashboardOptions> options, MessageParser<T> parser, Action<T> store, IMessage response, CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        if (!string.Equals(request.ContentType?.Split(';')[0].Trim(), ProtobufContentType, StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Problem($"Content-Type must be {ProtobufContentType}.", statusCode: StatusCodes.Status415UnsupportedMediaType);
        }

        var maxBytes = options.Value.Otlp.MaxRequestBytes;
        T message;
        try
        {
            var body = await ReadBodyAsync(request, maxBytes, cancellationToken);
            if (body is null)
            {
                return TypedResults.Problem($"The body is larger than {maxBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge);
            }

            message = parser.ParseFrom(body);
        }
        catch (Exception exception) when (exception is InvalidProtocolBufferException or InvalidDataException)
        {
            return TypedResults.Problem($"The body is not a valid OTLP protobuf message: {exception.Message}", statusCode: StatusCodes.Status400BadRequest);
        }

        store(message);
        return TypedResults.File(response.ToByteArray(), ProtobufContentType);
    }

    /// <summary>Reads the body (gunzipping when asked), or null past the limit; bad gzip throws InvalidDataException.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        var gzip = string.Equals(request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase);
        await using var source = gzip ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : request.Body;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await source.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
