using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Fleet.Contracts;

namespace Fleet.AuthBench;

/// <summary>
/// Signs a user in to the API's issuer as the web does, over real HTTP: the authorization request, the login form (with
/// its antiforgery token), redirects followed by hand until the one back to the web's callback carries the code, and
/// the code exchange with PKCE. The web itself is never called.
/// </summary>
internal static partial class IssuerSignIn
{
    public const string Scopes = "openid profile offline_access " + IdentityHttp.ApiScope;
    private const int MaxRedirects = 10;

    /// <summary>An access token (a JWT) for <paramref name="user"/>.</summary>
    public static async Task<string> AccessTokenAsync(BenchTarget target, string user, string password, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() };
        using var browser = new HttpClient(handler) { BaseAddress = target.ApiUrl, Timeout = TimeSpan.FromSeconds(30) };
        var redirectUri = $"{target.WebUrl}/signin-oidc";
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var authorize = new Uri(target.ApiUrl,
            $"{IdentityHttp.AuthorizePath}?client_id={IdentityHttp.WebClientId}&response_type=code&redirect_uri={Uri.EscapeDataString(redirectUri)}" +
            $"&scope={Uri.EscapeDataString(Scopes)}&code_challenge={challenge}&code_challenge_method=S256&state=x");

        var (loginUrl, loginPage) = await FollowAsync(browser, authorize, redirectUri, cancellationToken);
        if (loginPage is null)
        {
            throw new InvalidOperationException($"The authorization request went back to the web without a sign-in: {loginUrl}");
        }

        var (returnUrl, antiforgeryField, antiforgeryToken) = ReadLoginForm(loginPage);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [antiforgeryField] = antiforgeryToken,
            ["returnUrl"] = returnUrl,
            ["username"] = user,
            ["password"] = password,
        });
        using var submitted = await browser.PostAsync(new Uri(target.ApiUrl, IdentityHttp.LoginPath), form, cancellationToken);
        if (submitted.StatusCode != HttpStatusCode.Redirect || submitted.Headers.Location is not { } next)
        {
            throw new InvalidOperationException($"Sign-in of {user} refused ({(int)submitted.StatusCode}): {await submitted.Content.ReadAsStringAsync(cancellationToken)}");
        }

        var (callback, page) = await FollowAsync(browser, new Uri(submitted.RequestMessage!.RequestUri!, next), redirectUri, cancellationToken);
        if (page is not null || QueryValue(callback, "code") is not { Length: > 0 } code)
        {
            throw new InvalidOperationException($"No code after signing in; ended at {callback}: {page}");
        }

        using var exchange = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = IdentityHttp.WebClientId,
            ["client_secret"] = target.WebClientSecret,
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["code_verifier"] = verifier,
        });
        using var tokens = await browser.PostAsync(new Uri(target.ApiUrl, IdentityHttp.TokenPath), exchange, cancellationToken);
        if (!tokens.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The code exchange was refused ({(int)tokens.StatusCode}): {await tokens.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return (await tokens.Content.ReadFromJsonAsync<IssuedTokens>(cancellationToken))?.AccessToken
            ?? throw new InvalidOperationException("The token endpoint answered without an access token.");
    }

    /// <summary>
    /// GETs <paramref name="url"/> and the redirects after it, until one points at <paramref name="callback"/> (returned
    /// with no page) or a page answers (returned with its address and body).
    /// </summary>
    private static async Task<(Uri Url, string? Page)> FollowAsync(HttpClient browser, Uri url, string callback, CancellationToken cancellationToken)
    {
        for (var hop = 0; hop < MaxRedirects; hop++)
        {
            if (url.AbsoluteUri.StartsWith(callback, StringComparison.Ordinal))
            {
                return (url, null);
            }

            if (url.Authority != browser.BaseAddress!.Authority)
            {
                throw new InvalidOperationException($"Redirected away from the API, to {url}.");
            }

            using var response = await browser.GetAsync(url, cancellationToken);
            if (response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect
                && response.Headers.Location is { } location)
            {
                url = new Uri(url, location);
                continue;
            }

            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return response.IsSuccessStatusCode
                ? (url, body)
                : throw new InvalidOperationException($"{url} answered {(int)response.StatusCode}: {body}");
        }

        throw new InvalidOperationException($"More than {MaxRedirects} redirects from the authorization request.");
    }

    private static (string ReturnUrl, string AntiforgeryField, string AntiforgeryToken) ReadLoginForm(string page)
    {
        var antiforgery = AntiforgeryInput().Match(page);
        var returnUrl = ReturnUrlInput().Match(page);
        if (!antiforgery.Success || !returnUrl.Success)
        {
            throw new InvalidOperationException($"Not the login form: {page}");
        }

        return (WebUtility.HtmlDecode(returnUrl.Groups[1].Value), antiforgery.Groups[1].Value, WebUtility.HtmlDecode(antiforgery.Groups[2].Value));
    }

    private static string? QueryValue(Uri url, string name) =>
        url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Where(pair => pair[0] == name)
            .Select(pair => Uri.UnescapeDataString(pair.Length > 1 ? pair[1].Replace('+', ' ') : ""))
            .FirstOrDefault();

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed record IssuedTokens([property: JsonPropertyName("access_token")] string AccessToken);

    [GeneratedRegex("<input type=\"hidden\" name=\"(__RequestVerificationToken[^\"]*)\" value=\"([^\"]*)\"")]
    private static partial Regex AntiforgeryInput();

    [GeneratedRegex("<input type=\"hidden\" name=\"returnUrl\" value=\"([^\"]*)\"")]
    private static partial Regex ReturnUrlInput();
}
