using Fleet.Contracts;
using Microsoft.Extensions.Options;

namespace Fleet.Api.Infrastructure;

/// <summary>Operator endpoints need <c>Authorization: Bearer &lt;operator token&gt;</c>; anything else is a 401 problem.</summary>
public sealed class OperatorAuthFilter(IOptions<FleetOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var presented = AuthorizationHeader.Credential(context.HttpContext.Request, FleetHttp.OperatorAuthScheme);
        if (!SecretComparer.Matches(presented, options.Value.OperatorToken))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Operator token required",
                detail: "Send Authorization: Bearer <operator token>.");
        }

        return await next(context);
    }
}

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
