namespace Fleet.AppHost.Hosting.Provisioning;

/// <summary>Finds server programs on PATH or where Debian installs them.</summary>
public static class ServerBinaries
{
    public const string InstallHint =
        "Install the servers (`sudo apt-get install -y postgresql redis-server`), or start Docker/Podman, " +
        "or pass connection strings (ConnectionStrings__cache, ConnectionStrings__postgres).";

    private static string? Existing(string path) => File.Exists(path) ? path : null;

    public static string? FindOnPath(string program, params string[] extraDirectories)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(extraDirectories)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>redis-server from <paramref name="binDirectory"/> when given, else PATH and the usual folders.</summary>
    public static string? FindRedisServer(string? binDirectory) =>
        binDirectory is not null
            ? Existing(Path.Combine(binDirectory, "redis-server"))
            : FindOnPath("redis-server", "/usr/bin", "/usr/local/bin");

    /// <summary>
    /// The folder holding initdb and postgres: <paramref name="binDirectory"/> when given, else PATH, then the
    /// newest /usr/lib/postgresql/N/bin.
    /// </summary>
    public static string? FindPostgresBinDirectory(string? binDirectory)
    {
        if (binDirectory is not null)
        {
            return Existing(Path.Combine(binDirectory, "initdb")) is not null && Existing(Path.Combine(binDirectory, "postgres")) is not null ? binDirectory : null;
        }

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
