using System.Reflection;

namespace Fleet.AppHost.Hosting;

/// <summary>Where the repository, the AppHost project and the state folder are.</summary>
public sealed record AppHostPaths(string RepositoryRoot, string StateDirectory)
{
    public const string SolutionFile = "Fleet.Aspire.sln";

    public string AppHostDirectory => Path.Combine(RepositoryRoot, "Fleet.AppHost");

    public string SecretsDirectory => Path.Combine(StateDirectory, "secrets");

    /// <summary>The running app's description for tools and tests (see ARCHITECTURE.md).</summary>
    public string StateFile => Path.Combine(StateDirectory, "apphost.json");

    public static AppHostPaths Resolve(string? stateDirectory)
    {
        var root = FindRepositoryRoot();
        var state = string.IsNullOrWhiteSpace(stateDirectory) ? Path.Combine(root, ".fleet") : Path.GetFullPath(stateDirectory);
        return new AppHostPaths(root, state);
    }

    /// <summary>Walks up from the working folder, then from the binaries, to the folder holding the solution.</summary>
    public static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
                {
                    return directory.FullName;
                }
            }
        }

        var builtFrom = typeof(AppHostPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == "FleetRepoRoot")?.Value;
        return builtFrom is not null && File.Exists(Path.Combine(builtFrom, SolutionFile))
            ? Path.GetFullPath(builtFrom)
            : throw new InvalidOperationException($"Could not find {SolutionFile} above {Directory.GetCurrentDirectory()}.");
    }

    /// <summary>Stores a value only the owner may read (connection strings with passwords).</summary>
    public (string Value, string File) WriteSecret(string name, string value)
    {
        EnsureSecretsDirectory();
        var file = Path.Combine(SecretsDirectory, name);
        File.WriteAllText(file, value);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (value, file);
    }

    private void EnsureSecretsDirectory()
    {
        Directory.CreateDirectory(SecretsDirectory);
        File.SetUnixFileMode(SecretsDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Reads a secret from the state folder, or creates it (256 random bits, owner-only file).</summary>
    public (string Value, string File) GetOrCreateSecret(string name)
    {
        EnsureSecretsDirectory();
        var file = Path.Combine(SecretsDirectory, name);
        if (File.Exists(file))
        {
            var existing = File.ReadAllText(file).Trim();
            if (existing.Length > 0)
            {
                return (existing, file);
            }
        }

        var value = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return WriteSecret(name, value);
    }
}
