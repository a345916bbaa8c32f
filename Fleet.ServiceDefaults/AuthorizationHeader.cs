using Microsoft.AspNetCore.Http;

namespace Fleet.ServiceDefaults;

/// <summary>Reads <c>Authorization: {scheme} {credential}</c>; every service that takes a bearer secret reads it this way.</summary>
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
