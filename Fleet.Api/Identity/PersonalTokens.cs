using System.Security.Cryptography;
using System.Text;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Fleet.Api.Identity;

/// <summary>What a personal token stands for, as looked up (and briefly cached) by its hash.</summary>
public sealed record PersonalTokenGrant(Guid TokenId, Guid UserId, string UserName, string Role, DateTimeOffset ExpiresAt, DateTimeOffset? LastUsedAt);

/// <summary>
/// Personal access tokens: <c>fleet_pat_</c> and 32 random bytes (base64url), shown once; the database keeps the
/// SHA-256 only (the token is random, so a slow hash adds nothing). A lookup is cached for
/// <see cref="IssuerSettings.PersonalTokenCacheTtl"/>, so a script's calls cost one query per TTL, not one each.
/// </summary>
public sealed class PersonalTokens(
    IServiceScopeFactory scopes,
    IMemoryCache cache,
    TimeProvider clock,
    IOptions<IssuerSettings> settings)
{
    public const int DefaultDays = 30;
    public const int MaxDays = 365;
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public static (string Token, byte[] Hash) Generate()
    {
        var token = IdentityHttp.PersonalTokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        return (token, Hash(token));
    }

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>The grant behind <paramref name="token"/>, or null when it is unknown, expired, revoked or its owner is disabled.</summary>
    public async Task<PersonalTokenGrant?> ResolveAsync(string token, CancellationToken cancellationToken)
    {
        var hash = Hash(token);
        var key = CacheKey(hash);
        if (!cache.TryGetValue(key, out PersonalTokenGrant? grant))
        {
            grant = await LookUpAsync(hash, cancellationToken);
            if (settings.Value.PersonalTokenCacheTtl > TimeSpan.Zero)
            {
                cache.Set(key, grant, settings.Value.PersonalTokenCacheTtl);
            }
        }

        if (grant is null || grant.ExpiresAt <= clock.GetUtcNow())
        {
            return null;
        }

        if (grant.LastUsedAt is not { } used || clock.GetUtcNow() - used > LastUsedResolution)
        {
            await MarkUsedAsync(grant, key, cancellationToken);
        }

        return grant;
    }

    /// <summary>Drops this replica's cached answer at once (others follow within the TTL).</summary>
    public void Forget(byte[] hash) => cache.Remove(CacheKey(hash));

    private async Task<PersonalTokenGrant?> LookUpAsync(byte[] hash, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FleetDbContext>();
        var found = await db.PersonalAccessTokens.AsNoTracking()
            .Where(t => t.TokenHash == hash && t.RevokedAt == null && !t.User!.Disabled)
            .Select(t => new
            {
                t.Id,
                t.UserId,
                t.User!.UserName,
                TokenRole = t.Role,
                UserRole = db.UserRoles.Where(r => r.UserId == t.UserId).Join(db.Roles, r => r.RoleId, r => r.Id, (_, r) => r.Name).FirstOrDefault(),
                t.ExpiresAt,
                t.LastUsedAt,
            })
            .FirstOrDefaultAsync(cancellationToken);
        return found is { UserName: not null, UserRole: not null } && FleetRoles.IsKnown(found.UserRole)
            ? new PersonalTokenGrant(found.Id, found.UserId, found.UserName, FleetRoles.Weaker(found.TokenRole, found.UserRole), found.ExpiresAt, found.LastUsedAt)
            : null;
    }

    private async Task MarkUsedAsync(PersonalTokenGrant grant, string key, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FleetDbContext>();
        await db.PersonalAccessTokens.Where(t => t.Id == grant.TokenId).ExecuteUpdateAsync(set => set.SetProperty(t => t.LastUsedAt, now), cancellationToken);
        if (cache.TryGetValue(key, out PersonalTokenGrant? cached) && cached is not null)
        {
            cache.Set(key, cached with { LastUsedAt = now }, settings.Value.PersonalTokenCacheTtl);
        }
    }

    private static string CacheKey(byte[] hash) => "pat:" + Convert.ToHexString(hash);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
