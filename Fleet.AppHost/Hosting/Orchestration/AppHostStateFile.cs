using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.AppHost.Hosting.Provisioning;

namespace Fleet.AppHost.Hosting.Orchestration;

/// <summary>The document in <c>.fleet/apphost.json</c>: who runs, where, with which processes and secrets.</summary>
public sealed record AppHostState(
    int AppHostProcessId,
    bool Running,
    DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt,
    string StateDirectory,
    IReadOnlyList<ResourceSnapshot> Resources,
    IReadOnlyDictionary<string, string> Secrets)
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static AppHostState? Read(string file)
    {
        try
        {
            return JsonSerializer.Deserialize<AppHostState>(File.ReadAllText(file), JsonOptions);
        }
        catch (Exception exception) when (exception is IOException or JsonException)
        {
            return null;
        }
    }
}

/// <summary>Writes apphost.json atomically on every change, so readers never see half a file.</summary>
public sealed class AppHostStateFile(AppHostPaths paths)
{
    private readonly Lock _gate = new();
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

    public void Write(IReadOnlyList<ResourceSnapshot> resources, bool running)
    {
        var state = new AppHostState(
            Environment.ProcessId,
            running,
            _startedAt,
            DateTimeOffset.UtcNow,
            paths.StateDirectory,
            resources,
            resources.Where(resource => resource.SecretFile is not null).ToDictionary(resource => resource.Name, resource => resource.SecretFile!));
        var json = JsonSerializer.Serialize(state, AppHostState.JsonOptions);
        lock (_gate)
        {
            Directory.CreateDirectory(paths.StateDirectory);
            var temporary = paths.StateFile + ".tmp";
            File.WriteAllText(temporary, json);
            File.Move(temporary, paths.StateFile, overwrite: true);
        }
    }

    /// <summary>
    /// Refuses to share the state folder with an AppHost that still runs, and stops project processes that
    /// an AppHost killed without cleaning up left behind (servers clean up their own leftovers).
    /// </summary>
    public async Task TakeOverAsync(CancellationToken cancellationToken)
    {
        var previous = AppHostState.Read(paths.StateFile);
        if (previous is null || previous.AppHostProcessId == Environment.ProcessId)
        {
            return;
        }

        if (previous.Running && Posix.IsAlive(previous.AppHostProcessId) && Posix.CommandLine(previous.AppHostProcessId).Contains("Fleet.AppHost", StringComparison.Ordinal))
        {
            throw new BackingServiceUnavailableException(
                $"Another Fleet.AppHost (pid {previous.AppHostProcessId}) is using the state folder {paths.StateDirectory}. Stop it, or pass --state-dir.");
        }

        foreach (var resource in previous.Resources.Where(resource => resource.Kind == "project"))
        {
            foreach (var pid in resource.ProcessIds.Where(pid => Posix.IsAlive(pid) && Posix.CommandLine(pid).Contains(".dll", StringComparison.Ordinal)))
            {
                Posix.Signal(pid, Posix.SIGTERM);
                await Posix.WaitForExitAsync(pid, TimeSpan.FromSeconds(10), cancellationToken);
            }
        }
    }
}
