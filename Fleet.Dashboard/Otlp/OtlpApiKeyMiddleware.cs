using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Fleet.Dashboard.Otlp;

/// <summary>
/// Checks <c>x-otlp-api-key</c> on every OTLP request before its body is read: OTLP/HTTP answers 401,
/// OTLP/gRPC answers status Unauthenticated (a trailers-only response, as gRPC servers do).
/// </summary>
public sealed class OtlpApiKeyMiddleware(RequestDelegate next, IOptions<DashboardOptions> options)
{
    private const int GrpcUnauthenticated = 16;
    private readonly byte[]? _expected = string.IsNullOrEmpty(options.Value.Otlp.ApiKey) ? null : Encoding.UTF8.GetBytes(options.Value.Otlp.ApiKey);

    public Task InvokeAsync(HttpContext context)
    {
        var isGrpc = context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;
        var isOtlp = isGrpc || context.Request.Path.StartsWithSegments("/v1");
        if (!isOtlp || _expected is null || KeyMatches(context.Request.Headers[OtlpOptions.ApiKeyHeader].ToString()))
        {
            return next(context);
        }

        if (isGrpc)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = GrpcUnauthenticated.ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.Headers["grpc-message"] = "Missing or wrong x-otlp-api-key";
            return Task.CompletedTask;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return context.Response.WriteAsJsonAsync(new { title = "Unauthorized", status = 401, detail = $"Missing or wrong {OtlpOptions.ApiKeyHeader} header." });
    }

    private bool KeyMatches(string presented) =>
        presented.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _expected);
}
