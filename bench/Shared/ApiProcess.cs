using System.Globalization;
using System.Text.Json;

namespace Fleet.Bench;

/// <summary>The API's process, as apphost.json names it, and its CPU time from <c>/proc</c>.</summary>
internal static class ApiProcess
{
    private const double ClockTicksPerSecond = 100;

    public static int Find(string stateDirectory)
    {
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(stateDirectory, "apphost.json")));
        var api = state.RootElement.GetProperty("resources").EnumerateArray().First(r => r.GetProperty("name").GetString() == "api");
        return api.GetProperty("processIds")[0].GetInt32();
    }

    /// <summary>User and system CPU seconds the process has used (fields 14 and 15 of /proc/PID/stat, in clock ticks).</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
    }
}
