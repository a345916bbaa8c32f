using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace Fleet.Web.Identity;

/// <summary>
/// The access token of a signed-in session, refreshed at the issuer's token endpoint with the session's refresh token
/// shortly before it expires; the new tokens go back to the session store.
/// </summary>
public sealed partial class SessionTokens(
    RedisTicketStore store, IOptionsMonitor<OpenIdConnectOptions> oidc, TimeProvider time, ILogger<SessionTokens> logger) : IDisposable
{
    /// <summary>A token this close to its expiry is refreshed first, so a call does not reach the API with a dead one.</summary>
    public static readonly TimeSpan RefreshAhead = TimeSpan.FromMinutes(1);

    // Refresh tokens are used once: two calls racing to refresh the same session would end it.
    private readonly SemaphoreSlim _refreshing = new(1, 1);

    /// <summary>A usable access token and its expiry, or null when the session is gone or cannot be renewed.</summary>
    public async Task<(string Token, DateTimeOffset ExpiresAt)?> GetAccessTokenAsync(string sessionKey, CancellationToken cancellationToken)
    {
        if (Usable(await store.RetrieveAsync(sessionKey)) is { } usable)
        {
            return usable;
        }

        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            // Another call may have refreshed it while this one waited.
            var ticket = await store.RetrieveAsync(sessionKey);
            if (ticket is null)
            {
                return null;
            }

            return Usable(ticket) ?? await RefreshAsync(sessionKey, ticket, cancellationToken);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private (string Token, DateTimeOffset ExpiresAt)? Usable(AuthenticationTicket? ticket) =>
        ticket?.Properties.GetTokenValue("access_token") is { Length: > 0 } token
        && RedisTicketStore.ExpiresAt(ticket) is { } expiresAt
        && expiresAt - time.GetUtcNow() > RefreshAhead
            ? (token, expiresAt)
            : null;

    private async Task<(string Token, DateTimeOffset ExpiresAt)?> RefreshAsync(string sessionKey, AuthenticationTicket ticket, CancellationToken cancellationToken)
    {
        if (ticket.Properties.GetTokenValue("refresh_token") is not { Length: > 0 } refreshToken)
        {
            return null;
        }

        var options = oidc.Get(OpenIdConnectDefaults.AuthenticationScheme);
        var configuration = await options.ConfigurationManager!.GetConfigurationAsync(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, configuration.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "refresh_token",
                ["refresh_token"] = refreshToken,
                ["client_id"] = options.ClientId!,
                ["client_secret"] = options.ClientSecret!,
            }),
        };
        using var response = await options.Backchannel.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            LogRefreshRefused(logger, (int)response.StatusCode);
            return null;
        }

        var refreshed = await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken);
        if (refreshed is not { AccessToken.Length: > 0, ExpiresIn: > 0 })
        {
            LogRefreshRefused(logger, (int)response.StatusCode);
            return null;
        }

        var expiresAt = time.GetUtcNow().AddSeconds(refreshed.ExpiresIn.Value);
        var tokens = ticket.Properties.GetTokens().ToDictionary(token => token.Name, token => token.Value);
        tokens["access_token"] = refreshed.AccessToken;
        tokens["expires_at"] = expiresAt.ToString("o", CultureInfo.InvariantCulture);
        if (refreshed.RefreshToken is { Length: > 0 } rolled)
        {
            tokens["refresh_token"] = rolled;
        }

        if (refreshed.IdToken is { Length: > 0 } idToken)
        {
            tokens["id_token"] = idToken;
        }

        ticket.Properties.StoreTokens(tokens.Select(token => new AuthenticationToken { Name = token.Key, Value = token.Value }));
        await store.ReplaceAsync(sessionKey, ticket);
        return (refreshed.AccessToken, expiresAt);
    }

    public void Dispose() => _refreshing.Dispose();

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("refresh_token")] string? RefreshToken,
        [property: JsonPropertyName("id_token")] string? IdToken,
        [property: JsonPropertyName("expires_in")] int? ExpiresIn);

    [LoggerMessage(Level = LogLevel.Information, Message = "The issuer refused to refresh a session's access token ({Status}); the user signs in again")]
    private static partial void LogRefreshRefused(ILogger logger, int status);
}
