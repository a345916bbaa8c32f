using System.Net;
using Microsoft.AspNetCore.Http;

namespace Fleet.Web.Services;

/// <summary>
/// What the API said to an operator's change: the new value, or its refusal (a 4xx problem detail) as a message fit
/// for the operator plus the field errors of a validation problem, keyed as the API names the fields.
/// </summary>
public sealed record ApiResult<T>(T? Value, ApiProblem? Problem)
    where T : class
{
    public bool Succeeded => Value is not null;
}

/// <summary>An RFC 7807 answer from the API, read for display.</summary>
public sealed record ApiProblem(HttpStatusCode Status, string Message, IReadOnlyDictionary<string, string[]> Errors)
{
    /// <summary>The statuses an operator's input (or role) can cause; anything else is a failure of the API, not an answer.</summary>
    public static bool IsAnswer(HttpStatusCode status) => status is HttpStatusCode.BadRequest or HttpStatusCode.NotFound or HttpStatusCode.Forbidden
        or HttpStatusCode.Conflict or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnsupportedMediaType;

    public static ApiProblem From(HttpStatusCode status, HttpValidationProblemDetails? problem)
    {
        var errors = new Dictionary<string, string[]>(problem?.Errors ?? new Dictionary<string, string[]>());
        var message = Described(status, problem) ?? status switch
        {
            HttpStatusCode.NotFound => "It no longer exists.",
            HttpStatusCode.Forbidden => "Your role may not do this.",
            _ => $"The API refused it ({(int)status}).",
        };
        // A refusal about one field (a duplicate version, a file too large) names it in the extension "field": it belongs there.
        if (errors.Count == 0 && problem?.Extensions.TryGetValue("field", out var field) is true && field?.ToString() is { Length: > 0 } name)
        {
            errors[name] = [message];
            return new ApiProblem(status, message, errors);
        }

        if (errors.Count > 0)
        {
            message = $"{(problem?.Detail ?? "Please correct these fields:")} {string.Join("; ", errors.Select(error => $"{error.Key} {string.Join(" ", error.Value)}"))}";
        }

        return new ApiProblem(status, message, errors);
    }

    /// <summary>The problem's own words; a 403 says it is about the role, since its title alone ("Forbidden") does not.</summary>
    private static string? Described(HttpStatusCode status, HttpValidationProblemDetails? problem) =>
        (problem?.Detail ?? problem?.Title) is { } text && status == HttpStatusCode.Forbidden ? $"Your role may not do this: {text}" : problem?.Detail ?? problem?.Title;

    /// <summary>The API's messages for one field (exact key, or keys under it such as <c>plan.phases[1].percent</c>).</summary>
    public string? For(string field) =>
        Errors.Where(error => error.Key.Equals(field, StringComparison.OrdinalIgnoreCase) || error.Key.StartsWith(field + ".", StringComparison.OrdinalIgnoreCase) || error.Key.StartsWith(field + "[", StringComparison.OrdinalIgnoreCase))
            .Select(error => string.Join(" ", error.Value))
            .FirstOrDefault();
}
