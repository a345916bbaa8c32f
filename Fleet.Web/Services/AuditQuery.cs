using System.Globalization;
using Fleet.Contracts;

namespace Fleet.Web.Services;

/// <summary>A page of the audit log, newest first, narrowed by who, what, which target and when.</summary>
public sealed record AuditQuery(
    int Page = 1,
    int PageSize = 25,
    string? Actor = null,
    string? Action = null,
    Guid? TargetId = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null)
{
    public string ToPathAndQuery()
    {
        var parts = new List<string> { Pair("page", Page.ToString(CultureInfo.InvariantCulture)), Pair("pageSize", PageSize.ToString(CultureInfo.InvariantCulture)) };
        AddIfSet(parts, "actor", Actor);
        AddIfSet(parts, "action", Action);
        AddIfSet(parts, "targetId", TargetId?.ToString());
        AddIfSet(parts, "from", From?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        AddIfSet(parts, "to", To?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        return $"{RolloutHttp.AuditRoute}?{string.Join('&', parts)}";
    }

    private static void AddIfSet(List<string> parts, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            parts.Add(Pair(name, value.Trim()));
        }
    }

    private static string Pair(string name, string value) => $"{name}={Uri.EscapeDataString(value)}";
}
