using MudBlazor;

namespace Fleet.Web.Services;

/// <summary>One colour per rollout state, device update state, gate verdict, alert state and severity, the same on every page.</summary>
public static class StateColors
{
    public static IReadOnlyList<string> Severities { get; } = ["critical", "warning", "info"];

    public static IReadOnlyList<string> UpdateStates { get; } =
        ["waiting", "pending", "offered", "downloading", "downloaded", "installing", "rebooting", "healthy", "failed", "rolled-back"];

    public static Color Of(string state) => state switch
    {
        "running" or "healthy" or "pass" or "completed" or "resolved" => Color.Success,
        "paused" or "wait" or "acknowledged" or "warning" => Color.Warning,
        "aborted" or "rolled-back" or "failed" or "breach" or "open" or "critical" => Color.Error,
        "rejected" or "expired" => Color.Error,
        "queued" or "sent" or "accepted" => Color.Info,
        "draft" or "info" or "offered" or "downloading" or "downloaded" or "installing" or "rebooting" => Color.Info,
        _ => Color.Default,
    };
}
