using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using StackExchange.Redis;

namespace Fleet.Web.Identity;

/// <summary>
/// Keeps sign-in sessions (the user's claims and tokens) in Redis, so the cookie holds only a session key and the
/// access token can be refreshed on the server. Tickets are protected with Data Protection before they are stored.
/// </summary>
public sealed class RedisTicketStore(IConnectionMultiplexer redis, IDataProtectionProvider protection, TimeProvider time) : ITicketStore
{
    /// <summary>The claim the stored principal carries its own session key in (the same name the cookie handler uses for it).</summary>
    public const string SessionClaim = "Microsoft.AspNetCore.Authentication.Cookies-SessionId";

    private const string KeyPrefix = "fleet:web:session:";

    /// <summary>How long a session lives when its ticket names no expiry (the cookie's sliding lifetime).</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(8);

    private readonly IDataProtector _protector = protection.CreateProtector("Fleet.Web.SignInSessions");

    public async Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var key = Guid.NewGuid().ToString("N");
        // The cookie handler keeps the key in the cookie only; the circuit needs it too, to find the session's tokens.
        if (ticket.Principal.Identity is ClaimsIdentity identity && !identity.HasClaim(claim => claim.Type == SessionClaim))
        {
            identity.AddClaim(new Claim(SessionClaim, key));
        }

        await WriteAsync(key, ticket);
        return key;
    }

    public async Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        // The cookie handler renews with the ticket it read at the start of its request; tokens refreshed since then win.
        if (await RetrieveAsync(key) is { } stored && ExpiresAt(stored) > ExpiresAt(ticket))
        {
            ticket.Properties.StoreTokens(stored.Properties.GetTokens());
        }

        await WriteAsync(key, ticket);
    }

    /// <summary>Writes the ticket back as it is (new tokens after a refresh).</summary>
    public Task ReplaceAsync(string key, AuthenticationTicket ticket) => WriteAsync(key, ticket);

    public async Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        var value = await redis.GetDatabase().StringGetAsync(KeyPrefix + key);
        if (value.IsNullOrEmpty)
        {
            return null;
        }

        try
        {
            return TicketSerializer.Default.Deserialize(_protector.Unprotect((byte[])value!));
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // Protected with a key the ring no longer has: the session is over.
            return null;
        }
    }

    public Task RemoveAsync(string key) => redis.GetDatabase().KeyDeleteAsync(KeyPrefix + key);

    /// <summary>When the session's access token expires (<c>expires_at</c>, saved by the OpenID Connect handler).</summary>
    public static DateTimeOffset? ExpiresAt(AuthenticationTicket ticket) =>
        DateTimeOffset.TryParse(ticket.Properties.GetTokenValue("expires_at"), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.RoundtripKind, out var at) ? at : null;

    private async Task WriteAsync(string key, AuthenticationTicket ticket)
    {
        var lifetime = ticket.Properties.ExpiresUtc is { } expires ? expires - time.GetUtcNow() : DefaultLifetime;
        if (lifetime <= TimeSpan.Zero)
        {
            await RemoveAsync(key);
            return;
        }

        await redis.GetDatabase().StringSetAsync(KeyPrefix + key, _protector.Protect(TicketSerializer.Default.Serialize(ticket)), lifetime);
    }
}
