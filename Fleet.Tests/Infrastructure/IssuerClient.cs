using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Fleet.Contracts;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Fleet.Tests.Infrastructure;

/// <summary>The tokens the issuer's token endpoint hands out.</summary>
public sealed record IssuedTokens(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("refresh_token")] string? RefreshToken,
    [property: JsonPropertyName("id_token")] string? IdToken,
    [property: JsonPropertyName("expires_in")] int ExpiresIn);

/// <summary>
/// Signs a user in to the api's issuer the way a browser and the web do it, over real HTTP: authorization request,
/// the login form (with its antiforgery token), the redirect back with a code, and the code exchange with PKCE.
/// </summary>
public static partial class IssuerClient
{
    public const string ClientSecret = "web-client-secret-for-tests-0123456789";
    public const string WebUrl = "http://localhost";
    public const string RedirectUri = WebUrl + "/signin-oidc";
    public const string Scopes = "openid profile roles offline_access " + IdentityHttp.ApiScope;

    /// <param name="issuer">The address the issuer is reached at (its tokens name it as their issuer); the web's host by default.</param>
    public static async Task<IssuedTokens> SignInAsync(ApiFactory api, string user, string password, CancellationToken cancellationToken, string issuer = WebUrl)
    {
        using var browser = Browser(api, issuer);
        var login = await OpenLoginAsync(browser, cancellationToken);
        using var submitted = await SubmitAsync(browser, login, user, password, cancellationToken);
        if (submitted.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Sign-in of {user} refused: {await submitted.Content.ReadAsStringAsync(cancellationToken)}");
        }

        using var authorized = await browser.GetAsync(submitted.Headers.Location, cancellationToken);
        var callback = authorized.Headers.Location ?? throw new InvalidOperationException($"The authorization answered {authorized.StatusCode}.");
        var code = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(callback.Query)["code"].ToString();
        if (code.Length == 0)
        {
            throw new InvalidOperationException($"No code in {callback}.");
        }

        return await ExchangeAsync(browser, new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = RedirectUri,
            ["code_verifier"] = login.Verifier,
        }, cancellationToken) ?? throw new InvalidOperationException("The code exchange was refused.");
    }

    /// <summary>The token endpoint's answer to a refresh, or null when it refused (its error in <paramref name="refused"/>).</summary>
    public static async Task<IssuedTokens?> RefreshAsync(ApiFactory api, string refreshToken, CancellationToken cancellationToken)
    {
        using var http = Browser(api);
        return await ExchangeAsync(http, new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken }, cancellationToken);
    }

    /// <summary>Posts the login form once and returns the page the issuer answered with (the form again when refused).</summary>
    public static async Task<(HttpStatusCode Status, string Body)> TryPasswordAsync(ApiFactory api, string user, string password, CancellationToken cancellationToken)
    {
        using var browser = Browser(api);
        var login = await OpenLoginAsync(browser, cancellationToken);
        using var submitted = await SubmitAsync(browser, login, user, password, cancellationToken);
        return (submitted.StatusCode, await submitted.Content.ReadAsStringAsync(cancellationToken));
    }

    public static string PasswordOf(string user) => $"password-of-{user}-0123456789";

    /// <summary>Makes <paramref name="user"/> (with the break-glass admin) unless it exists, signs in, and returns a client acting as them.</summary>
    public static async Task<HttpClient> SignedInClientAsync(ApiFactory api, string user, string role, CancellationToken cancellationToken)
    {
        await CreateUserAsync(api, user, role, cancellationToken);
        var tokens = await SignInAsync(api, user, PasswordOf(user), cancellationToken);
        return Bearer(api, tokens.AccessToken);
    }

    public static async Task<UserSummary> CreateUserAsync(ApiFactory api, string user, string role, CancellationToken cancellationToken)
    {
        using var admin = Bearer(api, ApiFactory.OperatorToken);
        var existing = (await admin.GetFromJsonAsync<List<UserSummary>>(IdentityHttp.UsersRoute, cancellationToken))!.SingleOrDefault(u => u.Name == user);
        if (existing is not null)
        {
            return existing;
        }

        using var created = await admin.PostAsJsonAsync(IdentityHttp.UsersRoute, new UserCreateRequest(user, PasswordOf(user), role), cancellationToken);
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<UserSummary>(cancellationToken))!;
    }

    public static HttpClient Bearer(ApiFactory api, string token)
    {
        var http = api.CreateClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>
    /// Signs in to the running web over real HTTP as a browser would, following redirects with a cookie jar: the web
    /// sends the visitor to the api's login page, the form is posted, the code comes back to the web. Returns a client
    /// holding the web's session cookie.
    /// </summary>
    public static async Task<HttpClient> SignedInWebAsync(string webUrl, string user, string password, CancellationToken cancellationToken)
    {
        var browser = new HttpClient(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer(), AllowAutoRedirect = true })
        {
            BaseAddress = new Uri(webUrl), Timeout = TimeSpan.FromSeconds(30),
        };
        try
        {
            using var login = await browser.GetAsync("/", cancellationToken);
            var page = await login.Content.ReadAsStringAsync(cancellationToken);
            var loginUrl = login.RequestMessage!.RequestUri!;
            var (returnUrl, antiforgeryField, antiforgeryToken) = ReadLoginForm(page);
            using var signedIn = await browser.PostAsync(new Uri(loginUrl.GetLeftPart(UriPartial.Path)), new FormUrlEncodedContent(new Dictionary<string, string>
            {
                [antiforgeryField] = antiforgeryToken,
                ["returnUrl"] = returnUrl,
                ["username"] = user,
                ["password"] = password,
            }), cancellationToken);
            var landed = signedIn.RequestMessage!.RequestUri!;
            if (!signedIn.IsSuccessStatusCode || landed.Authority != browser.BaseAddress.Authority)
            {
                throw new InvalidOperationException($"Signing in as {user} ended at {landed} with {signedIn.StatusCode}.");
            }

            return browser;
        }
        catch
        {
            browser.Dispose();
            throw;
        }
    }

    private static (string ReturnUrl, string AntiforgeryField, string AntiforgeryToken) ReadLoginForm(string page)
    {
        var antiforgery = AntiforgeryInput().Match(page);
        var returnUrl = ReturnUrlInput().Match(page);
        if (!antiforgery.Success || !returnUrl.Success)
        {
            throw new InvalidOperationException($"Not the login form: {page}");
        }

        return (System.Net.WebUtility.HtmlDecode(returnUrl.Groups[1].Value), antiforgery.Groups[1].Value, System.Net.WebUtility.HtmlDecode(antiforgery.Groups[2].Value));
    }

    private sealed record LoginForm(string ReturnUrl, string AntiforgeryField, string AntiforgeryToken, string Verifier);

    private static HttpClient Browser(ApiFactory api, string address = WebUrl) =>
        api.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = new Uri(address) });

    private static async Task<LoginForm> OpenLoginAsync(HttpClient browser, CancellationToken cancellationToken)
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var authorize = $"{IdentityHttp.AuthorizePath}?client_id={IdentityHttp.WebClientId}&response_type=code&redirect_uri={Uri.EscapeDataString(RedirectUri)}" +
                        $"&scope={Uri.EscapeDataString(Scopes)}&state=test-state&code_challenge={challenge}&code_challenge_method=S256";
        using var redirected = await browser.GetAsync(authorize, cancellationToken);
        var loginUrl = redirected.Headers.Location ?? throw new InvalidOperationException($"The authorization request answered {redirected.StatusCode}: {await redirected.Content.ReadAsStringAsync(cancellationToken)}");
        var (returnUrl, antiforgeryField, antiforgeryToken) = ReadLoginForm(await browser.GetStringAsync(loginUrl, cancellationToken));
        return new LoginForm(returnUrl, antiforgeryField, antiforgeryToken, verifier);
    }

    private static Task<HttpResponseMessage> SubmitAsync(HttpClient browser, LoginForm login, string user, string password, CancellationToken cancellationToken) =>
        browser.PostAsync(IdentityHttp.LoginPath, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [login.AntiforgeryField] = login.AntiforgeryToken,
            ["returnUrl"] = login.ReturnUrl,
            ["username"] = user,
            ["password"] = password,
        }), cancellationToken);

    private static async Task<IssuedTokens?> ExchangeAsync(HttpClient http, Dictionary<string, string> form, CancellationToken cancellationToken)
    {
        form["client_id"] = IdentityHttp.WebClientId;
        form["client_secret"] = ClientSecret;
        using var response = await http.PostAsync(IdentityHttp.TokenPath, new FormUrlEncodedContent(form), cancellationToken);
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<IssuedTokens>(cancellationToken) : null;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [GeneratedRegex("<input type=\"hidden\" name=\"(__RequestVerificationToken[^\"]*)\" value=\"([^\"]*)\"")]
    private static partial Regex AntiforgeryInput();

    [GeneratedRegex("<input type=\"hidden\" name=\"returnUrl\" value=\"([^\"]*)\"")]
    private static partial Regex ReturnUrlInput();
}
