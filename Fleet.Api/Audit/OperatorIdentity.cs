using Fleet.Contracts;

namespace Fleet.Api.Audit;

/// <summary>The operator token names no user, so the caller says who they are: a <c>by</c> field, else <c>X-Operator</c>.</summary>
public static class OperatorIdentity
{
    public const string Default = "operator";
    public const string Controller = "controller";

    public static string Of(HttpRequest request, string? by)
    {
        var name = !string.IsNullOrWhiteSpace(by) ? by : request.Headers[RolloutHttp.OperatorHeader].ToString();
        name = name.Trim();
        return name.Length == 0 ? Default : name.Length > AuditEntry.ActorLength ? name[..AuditEntry.ActorLength] : name;
    }
}
