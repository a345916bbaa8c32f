namespace Fleet.Tests.Infrastructure;

/// <summary>Reads the process tree from /proc, to prove that stopping the AppHost leaves nothing behind.</summary>
public static class ProcessTree
{
    public static IReadOnlyList<int> Descendants(int rootPid)
    {
        var children = AllProcesses().ToLookup(process => process.ParentPid, process => process.Pid);
        var result = new List<int>();
        var queue = new Queue<int>([rootPid]);
        while (queue.Count > 0)
        {
            foreach (var child in children[queue.Dequeue()])
            {
                result.Add(child);
                queue.Enqueue(child);
            }
        }

        return result;
    }

    public static bool IsRunning(int pid)
    {
        var state = ReadStat(pid);
        return state is not null && state.Value.State != 'Z';
    }

    /// <summary>The real user id the process runs as.</summary>
    public static int UserId(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static IEnumerable<(int Pid, int ParentPid)> AllProcesses()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && ReadStat(pid) is { } stat)
            {
                yield return (pid, stat.ParentPid);
            }
        }
    }

    private static (char State, int ParentPid)? ReadStat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1]));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
