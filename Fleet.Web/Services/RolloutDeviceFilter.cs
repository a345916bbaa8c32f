namespace Fleet.Web.Services;

/// <summary>A view of a rollout's devices the operator can pick: the update states it shows, or only the devices that failed.</summary>
public sealed record RolloutDeviceFilter(string Key, string Label, IReadOnlyList<string> States, bool FailedOnly = false)
{
    /// <summary>Failed ones first: a device rolled back after failing is still a failure the operator must see.</summary>
    public static IReadOnlyList<RolloutDeviceFilter> All { get; } =
    [
        new("failed", "Failed", [], FailedOnly: true),
        new("rolled-back", "Rolled back", ["rolled-back"]),
        new("in-flight", "In flight", ["offered", "downloading", "downloaded", "installing", "rebooting"]),
        new("pending", "Waiting", ["waiting", "pending"]),
        new("healthy", "Healthy", ["healthy"]),
        new("all", "All", []),
    ];

    public static RolloutDeviceFilter Of(string? key) => All.FirstOrDefault(filter => filter.Key == key) ?? All[^1];

    public string Query => (States.Count > 0 ? "&state=" + string.Join(",", States) : "") + (FailedOnly ? "&failed=true" : "");
}
