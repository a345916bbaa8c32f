using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Fleet.Dashboard.Api;

/// <summary>
/// The dashboard's own login: when its frontend is not bound to loopback, pages and the query API need the
/// browser token, as header <c>x-dashboard-token</c> or as the cookie that <c>/login?t=TOKEN</c> sets.
/// OTLP has its own key and health probes stay open.
/// </summary>
public sealed class DashboardLogin(IOptions<DashboardOptions> options)
{
    public const string HeaderName = "x-dashboard-token";
    public const string CookieName = "fleet-dashboard-token";

    private readonly byte[]? _token = string.IsNullOrEmpty(options.Value.Frontend.BrowserToken) ? null : Encoding.UTF8.GetBytes(options.Value.Frontend.BrowserToken);

    public bool Required => _token is not null;

    public bool Accepts(string? presented) =>
        _token is null || (!string.IsNullOrEmpty(presented) && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _token));

    public static void MapLogin(IEndpointRouteBuilder app) =>
        app.MapGet("/login", (string? t, HttpContext context, DashboardLogin login) =>
        {
            if (!login.Required)
            {
                return Results.Redirect("/");
            }

            if (!login.Accepts(t))
            {
                return Results.Problem("The login token is missing or wrong.", statusCode: StatusCodes.Status401Unauthorized);
            }

            context.Response.Cookies.Append(CookieName, t!, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, IsEssential = true });
            return Results.Redirect("/");
        }).ExcludeFromDescription();
}

public sealed class DashboardLoginMiddleware(RequestDelegate next, DashboardLogin login)
{
    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        var open = !login.Required
            || path.StartsWithSegments("/health") || path.StartsWithSegments("/alive") || path.StartsWithSegments("/login")
            || path.StartsWithSegments("/v1")
            || context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;
        if (open || login.Accepts(context.Request.Headers[DashboardLogin.HeaderName].ToString()) || login.Accepts(context.Request.Cookies[DashboardLogin.CookieName]))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return context.Response.WriteAsJsonAsync(new
        {
            title = "Unauthorized",
            status = 401,
            detail = "Open /login?t=<token> (the URL the AppHost printed) or send the x-dashboard-token header.",
        });
    }
}
