using System.Security.Claims;
using Fleet.Api.Audit;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Api.Identity;

/// <summary>
/// <c>/api/v1/me</c>: who the caller is; <c>/api/v1/me/tokens</c>: their personal access tokens. A token is made from a
/// signed-in session only (a token cannot breed tokens), shown once, and acts with at most its owner's role.
/// </summary>
public static class TokensApi
{
    public static IEndpointRouteBuilder MapTokensApi(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup(IdentityHttp.MeRoute).WithTags("Identity").RequireRole(FleetRoles.Viewer);
        me.MapGet("/", Me).WithSummary("Who the API takes the caller for: name, role, and how they authenticated");
        me.MapGet("/tokens", ListAsync).WithSummary("The caller's personal access tokens (never their values)");
        me.MapPost("/tokens", CreateAsync).WithSummary("A new personal access token: name, role (at most the caller's), expiresInDays (1..365); its value is in this answer only");
        me.MapDelete("/tokens/{id:guid}", RevokeAsync).WithSummary("Revoke one of the caller's tokens; it stops working at once on this replica, within Fleet:Identity:PersonalTokenCacheTtl on others");
        return app;
    }

    public static Ok<MeResponse> Me(ClaimsPrincipal user) =>
        TypedResults.Ok(new MeResponse(user.Name() ?? "", user.Role() ?? "", user.Method()));

    public static async Task<Results<Ok<List<PersonalTokenSummary>>, ProblemHttpResult>> ListAsync(ClaimsPrincipal user, FleetDbContext db, CancellationToken cancellationToken)
    {
        if (user.UserId() is not { } owner)
        {
            return NoUser();
        }

        var tokens = await db.PersonalAccessTokens.AsNoTracking().Where(t => t.UserId == owner).OrderByDescending(t => t.CreatedAt)
            .Select(t => new PersonalTokenSummary(t.Id, t.Name, t.Role, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(tokens);
    }

    public static async Task<Results<Created<PersonalTokenCreated>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        PersonalTokenRequest request, ClaimsPrincipal user, FleetDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (user.UserId() is not { } owner || user.Method() != FleetAuth.SessionMethod)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Signed-in session required",
                detail: "Personal access tokens are made by a user signed in with a Fleet account (the web's Tokens page), not with another token or another provider's.");
        }

        var callerRole = user.Role() ?? FleetRoles.Viewer;
        var role = request.Role ?? callerRole;
        var days = request.ExpiresInDays ?? PersonalTokens.DefaultDays;
        var errors = new Dictionary<string, string[]>();
        var name = request.Name?.Trim() ?? "";
        if (name.Length is 0 or > PersonalAccessToken.NameLength)
        {
            errors["name"] = [$"A token needs a name of 1 to {PersonalAccessToken.NameLength} characters."];
        }

        if (!FleetRoles.IsKnown(role))
        {
            errors["role"] = [$"The role is one of {string.Join(", ", FleetRoles.All)}."];
        }
        else if (!FleetRoles.Allows(callerRole, role))
        {
            errors["role"] = [$"A token acts with at most its owner's role ({callerRole})."];
        }

        if (days is < 1 or > PersonalTokens.MaxDays)
        {
            errors["expiresInDays"] = [$"A token lasts 1 to {PersonalTokens.MaxDays} days."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var now = clock.GetUtcNow();
        var (token, hash) = PersonalTokens.Generate();
        var entity = new PersonalAccessToken
        {
            Id = Guid.CreateVersion7(now),
            UserId = owner,
            Name = name,
            Role = role,
            TokenHash = hash,
            CreatedAt = now,
            ExpiresAt = now.AddDays(days),
        };
        db.PersonalAccessTokens.Add(entity);
        db.AuditEntries.Add(Audit(user, "token-create", entity.Id, now, $"{name} ({role}, {days} days)"));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created(IdentityHttp.Token(entity.Id), new PersonalTokenCreated(entity.Id, name, role, entity.ExpiresAt, token));
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> RevokeAsync(
        Guid id, ClaimsPrincipal user, FleetDbContext db, PersonalTokens tokens, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (user.UserId() is not { } owner)
        {
            return NoUser();
        }

        var token = await db.PersonalAccessTokens.FirstOrDefaultAsync(t => t.Id == id && t.UserId == owner, cancellationToken);
        if (token is null)
        {
            return TypedResults.NotFound();
        }

        if (token.RevokedAt is null)
        {
            var now = clock.GetUtcNow();
            token.RevokedAt = now;
            db.AuditEntries.Add(Audit(user, "token-revoke", token.Id, now, token.Name));
            await db.SaveChangesAsync(cancellationToken);
        }

        tokens.Forget(token.TokenHash);
        return TypedResults.NoContent();
    }

    internal static AuditEntry Audit(ClaimsPrincipal user, string action, Guid target, DateTimeOffset at, string? reason) => new()
    {
        At = at,
        Actor = OperatorIdentity.Of(user),
        Action = action,
        TargetType = action.StartsWith("token", StringComparison.Ordinal) ? "token" : "user",
        TargetId = target,
        Reason = reason,
    };

    private static ProblemHttpResult NoUser() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "No user",
            detail: "The break-glass token belongs to no user and has no personal tokens; sign in as a user.");
}
