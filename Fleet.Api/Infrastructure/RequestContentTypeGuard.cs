using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Api.Infrastructure;

/// <summary>
/// Bodies the API cannot decode are a 415 problem before a handler tries: JSON in a charset other than UTF-8 (the
/// framework would throw reading it), and a body without a form content type to a route that takes only forms.
/// </summary>
public sealed class RequestContentTypeGuard(RequestDelegate next, IProblemDetailsService problemDetails)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (Problem(request, context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()) is not { } detail)
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
        await problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = StatusCodes.Status415UnsupportedMediaType, Title = "Unsupported media type", Detail = detail },
        });
    }

    private static string? Problem(HttpRequest request, IAcceptsMetadata? accepts)
    {
        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType?.EndsWith("json", StringComparison.OrdinalIgnoreCase) == true
            && type.CharSet is { } charset && charset.Trim('"').ToUpperInvariant() is not ("UTF-8" or "UTF8"))
        {
            return $"JSON bodies are UTF-8; charset '{charset}' is not taken.";
        }

        var formsOnly = accepts is { ContentTypes.Count: > 0 } && accepts.ContentTypes.All(t => t.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase));
        return formsOnly && (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0) && !request.HasFormContentType
            ? $"This route takes {string.Join(" or ", accepts!.ContentTypes)}."
            : null;
    }
}
