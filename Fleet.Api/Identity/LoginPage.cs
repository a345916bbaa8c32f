using System.Text.Encodings.Web;
using Fleet.Contracts;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Api.Identity;

/// <summary>
/// The issuer's sign-in form: the one page the api serves. A wrong password and an unknown or locked user get the
/// same message, so the form tells nobody which users exist; Identity locks an account after repeated failures.
/// </summary>
public static partial class LoginPage
{
    public const string FailedMessage = "Sign-in failed: wrong user name or password, or the account is locked for a while after repeated failures.";

    public static IEndpointRouteBuilder MapLoginPage(this IEndpointRouteBuilder app)
    {
        app.MapGet(IdentityHttp.LoginPath, Show).ExcludeFromDescription();
        app.MapPost(IdentityHttp.LoginPath, SignInAsync).ExcludeFromDescription();
        return app;
    }

    public sealed record LoginForm(string? Username, string? Password, string? ReturnUrl);

    private static IResult Show(HttpContext http, IAntiforgery antiforgery, string? returnUrl) =>
        Page(http, antiforgery, LocalOrRoot(returnUrl), error: null, user: null);

    private static async Task<IResult> SignInAsync(
        HttpContext http, [FromForm] LoginForm form, IAntiforgery antiforgery, SignInManager<FleetUser> signIn, ILogger<SignInManager<FleetUser>> logger)
    {
        var returnUrl = LocalOrRoot(form.ReturnUrl);
        var name = (form.Username ?? "").Trim();
        if (name.Length is 0 or > FleetUser.NameLength || string.IsNullOrEmpty(form.Password))
        {
            return Page(http, antiforgery, returnUrl, FailedMessage, name);
        }

        var user = await signIn.UserManager.FindByNameAsync(name);
        if (user is { Disabled: true })
        {
            return Page(http, antiforgery, returnUrl, FailedMessage, name);
        }

        var result = await signIn.PasswordSignInAsync(name, form.Password, isPersistent: false, lockoutOnFailure: true);
        if (!result.Succeeded)
        {
            LogRefused(logger, result.IsLockedOut);
            return Page(http, antiforgery, returnUrl, FailedMessage, name);
        }

        return Results.LocalRedirect(returnUrl);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sign-in refused (locked out: {LockedOut})")]
    private static partial void LogRefused(ILogger logger, bool lockedOut);

    /// <summary>Only a path on this host: an open redirect would let a link send someone's browser anywhere after sign-in.</summary>
    private static string LocalOrRoot(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) ? url : "/";

    private static IResult Page(HttpContext http, IAntiforgery antiforgery, string returnUrl, string? error, string? user)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        var html = HtmlEncoder.Default;
        var message = error is null ? "" : $"""<p class="error" role="alert" data-testid="login-error">{html.Encode(error)}</p>""";
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["X-Frame-Options"] = "DENY";
        return Results.Content($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
              <meta charset="utf-8" />
              <meta name="viewport" content="width=device-width, initial-scale=1" />
              <title>Sign in · Fleet</title>
              <style>
                body { font-family: Roboto, system-ui, sans-serif; background: #f5f5f5; display: grid; place-items: center; min-height: 100vh; margin: 0; }
                form { background: #fff; padding: 2rem 2.5rem; border-radius: 8px; box-shadow: 0 2px 8px rgba(0,0,0,.15); width: 20rem; }
                h1 { font-size: 1.4rem; margin: 0 0 1.5rem; }
                label { display: block; font-size: .85rem; color: #555; margin-top: 1rem; }
                input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .6rem; font-size: 1rem; border: 1px solid #bbb; border-radius: 4px; }
                button { margin-top: 1.5rem; width: 100%; padding: .7rem; font-size: 1rem; color: #fff; background: #594ae2; border: 0; border-radius: 4px; cursor: pointer; }
                .error { color: #b00020; font-size: .9rem; }
              </style>
            </head>
            <body>
              <form method="post" action="{{IdentityHttp.LoginPath}}">
                <h1>Sign in to Fleet</h1>
                {{message}}
                <input type="hidden" name="{{tokens.FormFieldName}}" value="{{html.Encode(tokens.RequestToken ?? "")}}" />
                <input type="hidden" name="returnUrl" value="{{html.Encode(returnUrl)}}" />
                <label for="username">User name</label>
                <input id="username" name="username" type="text" autocomplete="username" required autofocus value="{{html.Encode(user ?? "")}}" />
                <label for="password">Password</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required />
                <button type="submit" data-testid="login-submit">Sign in</button>
              </form>
            </body>
            </html>
            """, "text/html; charset=utf-8");
    }
}
