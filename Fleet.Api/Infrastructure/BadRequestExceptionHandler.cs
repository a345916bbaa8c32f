using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Api.Infrastructure;

/// <summary>
/// Unreadable requests (malformed JSON, text <see cref="FleetText"/> refuses, a body too large) surface as
/// <see cref="BadHttpRequestException"/>; they are the client's fault, so they become a problem with the exception's
/// own status (400, 413), not a 500. A JSON error names its field under <c>errors</c>, as validation does.
/// </summary>
public sealed class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // A malformed multipart form (no boundary, one too long, too many parts) is unreadable input too.
        if (exception is InvalidDataException && httpContext.Request.HasFormContentType)
        {
            exception = new BadHttpRequestException("The form could not be read.", StatusCodes.Status400BadRequest, exception);
        }

        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        var problem = badRequest.InnerException is JsonException json
            ? new ValidationProblemDetails(new Dictionary<string, string[]> { [Field(json.Path)] = [Reason(json)] })
            : new ProblemDetails();
        problem.Status = badRequest.StatusCode;
        problem.Title = badRequest.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Request body could not be read";
        problem.Detail = badRequest.InnerException is { } inner ? $"{badRequest.Message} {inner.Message}" : badRequest.Message;
        httpContext.Response.StatusCode = badRequest.StatusCode;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, Exception = exception, ProblemDetails = problem });
    }

    /// <summary><c>$.tags[0]</c> → <c>tags[0]</c>; the document itself → <c>body</c>.</summary>
    private static string Field(string? path) => path is { Length: > 2 } && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "body";

    private static string Reason(JsonException json)
    {
        var message = json.Message;
        var at = message.IndexOf(" Path:", StringComparison.Ordinal);
        return at > 0 ? message[..at] : message;
    }
}
