namespace Fleet.AppHost.Hosting.Provisioning;

/// <summary>Finds server programs on PATH or where Debian installs them.</summary>
public static class ServerBinaries
{
    public const string InstallHint =
        "Install the servers (`sudo apt-get install -y postgresql redis-server`), or start Docker/Podman, " +
        "or pass connection strings (ConnectionStrings__cache, ConnectionStrings__postgres).";

    public static string? FindOnPath(string program, params string[] extraDirectories)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(extraDirectories)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>The folder holding initdb and postgres: PATH first, then the newest /usr/lib/postgresql/N/bin.</summary>
    public static string? FindPostgresBinDirectory()
    {
        var onPath = FindOnPath("initdb");
        if (onPath is not null && File.Exists(Path.Combine(Path.GetDirectoryName(onPath)!, "postgres")))
        {
            return Path.GetDirectoryName(onPath);
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (!Directory.Exists(debianRoot))
        {
            return null;
        }

        return Directory.GetDirectories(debianRoot)
            .Select(directory => (Directory: Path.Combine(directory, "bin"), Version: int.TryParse(Path.GetFileName(directory), out var v) ? v : 0))
            .Where(candidate => File.Exists(Path.Combine(candidate.Directory, "initdb")) && File.Exists(Path.Combine(candidate.Directory, "postgres")))
            .OrderByDescending(candidate => candidate.Version)
            .Select(candidate => candidate.Directory)
            .FirstOrDefault();
    }
}
