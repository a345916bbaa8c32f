using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Api.Infrastructure;

/// <summary>
/// A route's body limit, as endpoint metadata: bytes, or null where the handler sets its own from its settings
/// (telemetry's <c>Fleet:Telemetry:MaxBodyBytes</c>, firmware's artefact size).
/// </summary>
public sealed record RequestBodyLimit(long? Bytes) : IRequestSizeLimitMetadata
{
    long? IRequestSizeLimitMetadata.MaxRequestBodySize => Bytes;
}

/// <summary>
/// Every route gets a body limit that fits its largest valid body: <see cref="Default"/> unless it declares one. A
/// larger Content-Length is a 413 problem before anything is read; a chunked body is cut off by the server at the limit.
/// </summary>
public static class RequestBodyLimits
{
    /// <summary>Operator bodies: a rule, a command, a reason. The largest valid one (a set_config of 32 settings) is about 12 KiB.</summary>
    public const long Default = 64 * 1024;

    /// <summary>A registration or a heartbeat with its config map (32 settings of at most 256 characters).</summary>
    public const long DeviceMessage = 32 * 1024;

    /// <summary>A rollout or its preview naming up to 100,000 device ids (about 39 bytes each).</summary>
    public const long RolloutTarget = 5 * 1024 * 1024;

    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new RequestBodyLimit(bytes));

    /// <summary>The handler reads its limit from its settings and enforces it (413) itself.</summary>
    public static TBuilder WithBodyLimitSetByHandler<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new RequestBodyLimit(null));

    public static IApplicationBuilder UseRequestBodyLimits(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<RequestBodyLimit>() is { } declared ? declared.Bytes : Default;
        if (limit is { } bytes)
        {
            if (context.Request.ContentLength > bytes)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = new ProblemDetails { Status = StatusCodes.Status413PayloadTooLarge, Title = "Request body too large", Detail = $"This route takes bodies of at most {bytes} bytes." },
                });
                return;
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            {
                feature.MaxRequestBodySize = bytes;
            }
        }

        await next(context);
    });
}
