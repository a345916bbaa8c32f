namespace Fleet.Api.Infrastructure;

public static class AuthorizationHeader
{
    /// <summary>The credential after <c>{scheme} </c> in the Authorization header, or null.</summary>
    public static string? Credential(HttpRequest request, string scheme)
    {
        var header = request.Headers.Authorization.ToString();
        return header.Length > scheme.Length + 1
            && header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && header[scheme.Length] == ' '
            ? header[(scheme.Length + 1)..].Trim()
            : null;
    }
}
