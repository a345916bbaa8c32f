using System.Security.Claims;
using Fleet.Api.Identity;

namespace Fleet.Api.Audit;

/// <summary>Who the audit log names: the signed-in user or the token's owner (never a field of the request), or the controller.</summary>
public static class OperatorIdentity
{
    public const string Controller = "controller";

    public static string Of(ClaimsPrincipal user)
    {
        var name = user.Name() ?? throw new InvalidOperationException("An operator route ran without an authenticated user.");
        return name.Length > AuditEntry.ActorLength ? name[..AuditEntry.ActorLength] : name;
    }
}
