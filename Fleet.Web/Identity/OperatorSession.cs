using System.Security.Claims;
using Fleet.Web.Services;
using Microsoft.AspNetCore.Components.Authorization;

namespace Fleet.Web.Identity;

/// <summary>The signed-in operator of this circuit (or prerendering request) and the access token the UI calls the API with.</summary>
public sealed class OperatorSession(AuthenticationStateProvider authentication, SessionTokens tokens, TimeProvider time)
{
    public const string EndedMessage = "Your session has ended. Reload the page to sign in again.";

    private (string Token, DateTimeOffset ExpiresAt)? _current;

    public static FleetApiException Ended() => new(EndedMessage);

    /// <summary>The access token, refreshed when it is about to expire; throws <see cref="FleetApiException"/> when the session is over.</summary>
    public async Task<string> GetAccessTokenAsync(CancellationToken cancellationToken)
    {
        if (_current is { } current && current.ExpiresAt - time.GetUtcNow() > SessionTokens.RefreshAhead)
        {
            return current.Token;
        }

        var user = (await authentication.GetAuthenticationStateAsync()).User;
        var sessionKey = user.FindFirstValue(RedisTicketStore.SessionClaim) ?? throw Ended();
        _current = await tokens.GetAccessTokenAsync(sessionKey, cancellationToken) ?? throw Ended();
        return _current.Value.Token;
    }
}
