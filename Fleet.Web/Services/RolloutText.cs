using Fleet.Contracts;

namespace Fleet.Web.Services;

/// <summary>How a rollout reads to an operator: its name, or its release and target when it was given none.</summary>
public static class RolloutText
{
    /// <summary>The given name, else e.g. "2.0.1 to types meter, regions eu-west" (never an id the operator cannot place).</summary>
    public static string Name(RolloutResponse rollout) =>
        string.IsNullOrWhiteSpace(rollout.Name) ? $"{rollout.ReleaseVersion} to {Target(rollout.Target)}" : rollout.Name;

    public static string Target(RolloutTarget target)
    {
        var parts = new List<string>();
        Add(parts, "types", target.DeviceTypes);
        Add(parts, "hardware", target.HardwareRevisions);
        Add(parts, "regions", target.Regions);
        Add(parts, "tags", target.Tags);
        if (target.Environment is { } environment)
        {
            parts.Add($"{environment} devices");
        }

        if (target.DeviceIds is { Count: > 0 } ids)
        {
            parts.Add(ids.Count == 1 ? "1 listed device" : $"{ids.Count} listed devices");
        }

        return parts.Count == 0 ? "every active device" : string.Join(", ", parts);
    }

    private static void Add(List<string> parts, string name, IReadOnlyList<string>? values)
    {
        if (values is { Count: > 0 })
        {
            parts.Add($"{name} {string.Join("/", values)}");
        }
    }
}
