using System.Text.Json;

namespace Fleet.Bench;

/// <summary>CPU time of an AppHost resource's processes and everything they started (PostgreSQL's backends, say), from <c>/proc</c>.</summary>
internal static class ResourceCpu
{
    /// <summary>The processes apphost.json lists for resource <paramref name="name"/>; empty when it has none (a container).</summary>
    public static int[] Find(string stateDirectory, string name)
    {
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(stateDirectory, "apphost.json")));
        var resource = state.RootElement.GetProperty("resources").EnumerateArray().FirstOrDefault(r => r.GetProperty("name").GetString() == name);
        return resource.ValueKind == JsonValueKind.Object && resource.TryGetProperty("processIds", out var pids)
            ? [.. pids.EnumerateArray().Select(p => p.GetInt32())]
            : [];
    }

    /// <summary>User and system CPU seconds of <paramref name="roots"/> and their descendants alive now.</summary>
    public static double CpuSeconds(IReadOnlyCollection<int> roots)
    {
        if (roots.Count == 0)
        {
            return 0;
        }

        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && ParentOf(pid) is { } parent)
            {
                parents[pid] = parent;
            }
        }

        bool InTree(int pid)
        {
            for (var depth = 0; depth < 16 && pid > 1; depth++, pid = parents.GetValueOrDefault(pid))
            {
                if (roots.Contains(pid))
                {
                    return true;
                }
            }

            return false;
        }

        var seconds = 0.0;
        foreach (var pid in parents.Keys.Where(InTree))
        {
            try
            {
                seconds += ApiProcess.CpuSeconds(pid);
            }
            catch (IOException)
            {
                // It exited between the listing and the read.
            }
        }

        return seconds;
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
