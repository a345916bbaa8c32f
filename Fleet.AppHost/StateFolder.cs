using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Fleet.AppHost;

/// <summary>Where local servers keep their data and tools find the running app: <c>.fleet</c> at the repository root, or <c>Fleet:StateDir</c>.</summary>
public static class StateFolder
{
    public const string SolutionFile = "Fleet.Aspire.sln";

    public static string Of(IDistributedApplicationBuilder builder) => Resolve(builder.Configuration[AppHostCommandLine.StateDirectoryKey]);

    public static string Resolve(string? configured) =>
        string.IsNullOrWhiteSpace(configured) ? Path.Combine(FindRepositoryRoot(), ".fleet") : Path.GetFullPath(configured);

    public static string StateFile(string stateDirectory) => Path.Combine(stateDirectory, "apphost.json");

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

        var builtFrom = typeof(StateFolder).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == "FleetRepoRoot")?.Value;
        return builtFrom is not null && File.Exists(Path.Combine(builtFrom, SolutionFile))
            ? Path.GetFullPath(builtFrom)
            : throw new InvalidOperationException($"Could not find {SolutionFile} above {Directory.GetCurrentDirectory()}.");
    }

    /// <summary>Where <see cref="WriteSecret"/> puts the secret <paramref name="name"/>.</summary>
    public static string SecretFile(string stateDirectory, string name) => Path.Combine(stateDirectory, "secrets", name);

    /// <summary>Writes a value only the owner may read, for tools that need a secret the AppHost holds.</summary>
    public static string WriteSecret(string stateDirectory, string name, string value)
    {
        var file = SecretFile(stateDirectory, name);
        OwnerOnly.CreateFolder(Path.GetDirectoryName(file)!);
        OwnerOnly.WriteText(file, value);
        return file;
    }
}
