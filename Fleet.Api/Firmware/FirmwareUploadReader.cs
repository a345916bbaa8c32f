using System.Text;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Fleet.Api.Firmware;

/// <summary>
/// Reads <c>POST /api/v1/firmware</c> section by section: the artefact goes to a temporary file while it is hashed, so
/// an upload of any size costs a few buffers of memory, not the artefact; the other fields are small text.
/// </summary>
public static class FirmwareUploadReader
{
    /// <summary>RFC 2046 allows boundaries of 1 to 70 characters; longer ones are refused before the body is read.</summary>
    public const int MaxBoundaryLength = 128;

    /// <summary>The form has six fields, two of which may repeat up to <see cref="FirmwareLimits.ListEntries"/> times.</summary>
    public const int MaxParts = 2 * FirmwareLimits.ListEntries + 8;

    private const int MaxFieldBytes = 4 * FirmwareLimits.Notes;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static async Task<FirmwareUploadRead> ReadAsync(HttpRequest request, long maxArtefact, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return Refused(Problem(StatusCodes.Status415UnsupportedMediaType, "Multipart form required",
                "Publish a release as multipart/form-data with the fields file, version and deviceTypes."));
        }

        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > MaxBoundaryLength)
        {
            return Refused(Invalid("Content-Type", $"needs a multipart boundary of 1 to {MaxBoundaryLength} characters."));
        }

        var fields = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        FirmwareArtefactFile? artefact = null;
        try
        {
            var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 8, HeadersLengthLimit = 4096 };
            var parts = 0;
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (++parts > MaxParts)
                {
                    return await RefusedAsync(artefact, Invalid("form", $"has more than {MaxParts} parts."));
                }

                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    return await RefusedAsync(artefact, Invalid("form", "every part needs Content-Disposition: form-data with a name."));
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (name == FirmwareHttp.Fields.File)
                {
                    if (artefact is not null)
                    {
                        return await RefusedAsync(artefact, Invalid(FirmwareHttp.Fields.File, "send one artefact only."));
                    }

                    artefact = await FirmwareArtefactFile.WriteAsync(section.Body, maxArtefact, cancellationToken);
                    if (artefact.TooLarge)
                    {
                        return await RefusedAsync(artefact, TooLarge(maxArtefact));
                    }

                    continue;
                }

                if (await ReadTextAsync(section.Body, cancellationToken) is not { } text)
                {
                    return await RefusedAsync(artefact, Invalid(name.Length is > 0 and <= 64 ? name : "form", $"must be UTF-8 text of at most {MaxFieldBytes} bytes."));
                }

                fields[name] = StringValues.Concat(fields.GetValueOrDefault(name), text);
            }
        }
        catch (Exception exception) when (exception is IOException or InvalidDataException or DecoderFallbackException)
        {
            // A body cut short, a part that never closes, oversized part headers: the client's fault, so a 400 (or 413 at the size limit).
            var status = exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
            return await RefusedAsync(artefact, status == StatusCodes.Status413PayloadTooLarge
                ? TooLarge(maxArtefact)
                : Invalid("form", "is not a complete multipart/form-data body."));
        }

        return new FirmwareUploadRead(new FormCollection(fields), artefact, null);
    }

    private static async Task<string?> ReadTextAsync(Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxFieldBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }

        if (length > MaxFieldBytes)
        {
            return null;
        }

        try
        {
            return StrictUtf8.GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static FirmwareUploadRead Refused(IResult problem) => new(null, null, problem);

    private static async Task<FirmwareUploadRead> RefusedAsync(FirmwareArtefactFile? artefact, IResult problem)
    {
        if (artefact is not null)
        {
            await artefact.DisposeAsync();
        }

        return Refused(problem);
    }

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemHttpResult TooLarge(long maxArtefact) => TypedResults.Problem(
        statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "Artefact too large",
        detail: $"Firmware artefacts are limited to {maxArtefact} bytes (Fleet:Firmware:MaxArtefactBytes).",
        extensions: new Dictionary<string, object?> { ["field"] = FirmwareHttp.Fields.File });

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);
}

/// <summary>The form's text fields and its artefact, or the problem that answers the request.</summary>
public sealed record FirmwareUploadRead(IFormCollection? Fields, FirmwareArtefactFile? Artefact, IResult? Problem);
