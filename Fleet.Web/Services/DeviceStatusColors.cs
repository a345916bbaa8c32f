using MudBlazor;

namespace Fleet.Web.Services;

/// <summary>One colour per device status and lifecycle, the same on every page and on the map.</summary>
public static class DeviceStatusColors
{
    public static IReadOnlyList<string> Statuses { get; } = ["online", "at-risk", "offline", "unknown"];

    public static IReadOnlyList<string> Lifecycles { get; } = ["new", "active", "suspended", "retired"];

    public static Color Of(string status) => status switch
    {
        "online" or "active" => Color.Success,
        "at-risk" or "suspended" => Color.Warning,
        "offline" => Color.Error,
        "new" => Color.Info,
        _ => Color.Default,
    };
}
