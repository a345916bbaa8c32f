using System.Security.Claims;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Api.Identity;

/// <summary><c>/api/v1/users</c> (admin): operators' accounts, their role, and disabling them. Every change is audited.</summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup(IdentityHttp.UsersRoute).WithTags("Identity").RequireRole(FleetRoles.Admin);
        users.MapGet("/", ListAsync).WithSummary("Every user with their role, whether disabled, and any lockout");
        users.MapPost("/", CreateAsync).WithSummary("A new user: name, password (at least 12 characters), role");
        users.MapPatch("/{id:guid}", UpdateAsync).WithSummary("Change a user's role or disable/enable the account (a disabled user's sessions end at their next refresh, tokens at once)");
        return app;
    }

    public static async Task<Ok<List<UserSummary>>> ListAsync(FleetDbContext db, CancellationToken cancellationToken)
    {
        var users = await db.Users.AsNoTracking().OrderBy(u => u.UserName)
            .Select(u => new
            {
                u.Id,
                u.UserName,
                Role = db.UserRoles.Where(r => r.UserId == u.Id).Join(db.Roles, r => r.RoleId, r => r.Id, (_, r) => r.Name).FirstOrDefault(),
                u.Disabled,
                u.LockoutEnd,
            })
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(users.Select(u => new UserSummary(u.Id, u.UserName ?? "", u.Role ?? "", u.Disabled, u.LockoutEnd)).ToList());
    }

    public static async Task<Results<Created<UserSummary>, ValidationProblem>> CreateAsync(
        UserCreateRequest request, ClaimsPrincipal caller, UserManager<FleetUser> users, FleetDbContext db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var name = request.Name?.Trim() ?? "";
        if (!FleetRoles.IsKnown(request.Role))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["role"] = [$"The role is one of {string.Join(", ", FleetRoles.All)}."] });
        }

        if (name.Length is 0 or > FleetUser.NameLength)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = [$"A user name has 1 to {FleetUser.NameLength} characters."] });
        }

        var now = clock.GetUtcNow();
        var user = new FleetUser { UserName = name, CreatedAt = now };
        var created = await users.CreateAsync(user, request.Password ?? "");
        if (!created.Succeeded)
        {
            return Invalid(created);
        }

        await users.AddToRoleAsync(user, request.Role);
        db.AuditEntries.Add(TokensApi.Audit(caller, "user-create", user.Id, now, $"{name} ({request.Role})"));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created(IdentityHttp.User(user.Id), new UserSummary(user.Id, name, request.Role, false, null));
    }

    public static async Task<Results<Ok<UserSummary>, NotFound, ValidationProblem>> UpdateAsync(
        Guid id, UserUpdateRequest request, ClaimsPrincipal caller, UserManager<FleetUser> users, FleetDbContext db, PersonalTokens tokens,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(id.ToString());
        if (user is null)
        {
            return TypedResults.NotFound();
        }

        if (request.Role is { } role && !FleetRoles.IsKnown(role))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["role"] = [$"The role is one of {string.Join(", ", FleetRoles.All)}."] });
        }

        // An admin cannot lock themselves out of administering.
        if (caller.UserId() == id && (request.Disabled == true || (request.Role is { } own && own != FleetRoles.Admin)))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = ["You cannot disable yourself or take away your own admin role."] });
        }

        var current = (await users.GetRolesAsync(user)).FirstOrDefault(FleetRoles.IsKnown) ?? "";
        var changes = new List<string>();
        if (request.Role is { } newRole && newRole != current)
        {
            if (current.Length > 0)
            {
                await users.RemoveFromRoleAsync(user, current);
            }

            await users.AddToRoleAsync(user, newRole);
            changes.Add($"role {current} → {newRole}");
            current = newRole;
        }

        if (request.Disabled is { } disabled && disabled != user.Disabled)
        {
            user.Disabled = disabled;
            // A new security stamp ends the user's sign-in cookie at the issuer.
            await users.UpdateSecurityStampAsync(user);
            changes.Add(disabled ? "disabled" : "enabled");
        }

        if (changes.Count > 0)
        {
            db.AuditEntries.Add(TokensApi.Audit(caller, "user-update", user.Id, clock.GetUtcNow(), $"{user.UserName}: {string.Join(", ", changes)}"));
            await db.SaveChangesAsync(cancellationToken);
            foreach (var hash in await db.PersonalAccessTokens.Where(t => t.UserId == id).Select(t => t.TokenHash).ToListAsync(cancellationToken))
            {
                tokens.Forget(hash);
            }
        }

        return TypedResults.Ok(new UserSummary(user.Id, user.UserName ?? "", current, user.Disabled, user.LockoutEnd));
    }

    private static ValidationProblem Invalid(IdentityResult result) =>
        TypedResults.ValidationProblem(result.Errors
            .GroupBy(e => e.Code.StartsWith("Password", StringComparison.Ordinal) ? "password" : "name")
            .ToDictionary(g => g.Key, g => g.Select(e => e.Description).ToArray()));
}
