using Fleet.Dashboard.Storage;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace Fleet.Dashboard.Otlp;

/// <summary>
/// OTLP/gRPC: TraceService, LogsService and MetricsService Export. The methods take the raw message and
/// parse it here, so a malformed payload is answered InvalidArgument (a generated marshaller's failure
/// would surface as Unknown). <see cref="OtlpApiKeyMiddleware"/> has checked the key before any of this.
/// </summary>
public sealed class OtlpGrpcReceiver(TelemetryStore store)
{
    public Task<byte[]> ExportTraces(byte[] request, ServerCallContext context)
    {
        store.AddSpans(OtlpDecoder.Spans(Parse(ExportTraceServiceRequest.Parser, request)));
        return Task.FromResult(new ExportTraceServiceResponse().ToByteArray());
    }

    public Task<byte[]> ExportLogs(byte[] request, ServerCallContext context)
    {
        store.AddLogs(OtlpDecoder.Logs(Parse(ExportLogsServiceRequest.Parser, request)));
        return Task.FromResult(new ExportLogsServiceResponse().ToByteArray());
    }

    public Task<byte[]> ExportMetrics(byte[] request, ServerCallContext context)
    {
        foreach (var (resource, points) in OtlpDecoder.MetricPoints(Parse(ExportMetricsServiceRequest.Parser, request)))
        {
            store.AddMetricPoints(resource, points);
        }

        return Task.FromResult(new ExportMetricsServiceResponse().ToByteArray());
    }

    private static T Parse<T>(MessageParser<T> parser, byte[] request) where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(request);
        }
        catch (InvalidProtocolBufferException exception)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Not a valid OTLP protobuf message: {exception.Message}"));
        }
    }
}

/// <summary>Binds the three Export methods under the OTLP service names, with pass-through marshallers.</summary>
public sealed class OtlpGrpcMethodProvider : IServiceMethodProvider<OtlpGrpcReceiver>
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(bytes => bytes, bytes => bytes);

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<OtlpGrpcReceiver> context)
    {
        context.AddUnaryMethod(Export(TraceServiceReflection.Descriptor.Services[0].FullName), [], (receiver, request, call) => receiver.ExportTraces(request, call));
        context.AddUnaryMethod(Export(LogsServiceReflection.Descriptor.Services[0].FullName), [], (receiver, request, call) => receiver.ExportLogs(request, call));
        context.AddUnaryMethod(Export(MetricsServiceReflection.Descriptor.Services[0].FullName), [], (receiver, request, call) => receiver.ExportMetrics(request, call));
    }

    private static Method<byte[], byte[]> Export(string serviceName) => new(MethodType.Unary, serviceName, "Export", Raw, Raw);
}
