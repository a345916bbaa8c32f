using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.AppHost.Running;

/// <summary>
/// <c>.fleet/apphost.json</c>: the running app for tools, benchmarks and tests, written from Aspire's resource notifications,
/// so nobody parses the console. <see cref="Ready"/> is true once every resource runs and is healthy (the migrations finished).
/// </summary>
public sealed record AppHostState(
    int AppHostProcessId,
    bool Running,
    bool Ready,
    DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt,
    string StateDirectory,
    DashboardState? Dashboard,
    IReadOnlyList<ResourceState> Resources,
    IReadOnlyDictionary<string, string> Secrets)
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public ResourceState Resource(string name) => Resources.Single(resource => resource.Name == name);

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

/// <summary>The Aspire dashboard: its address, and owner-only files with its login link and its telemetry API key (<c>x-api-key</c>).</summary>
public sealed record DashboardState(string? Url, string? LoginUrlFile, string? ApiKeyFile);

/// <param name="State">Aspire's state (Running, Waiting, Exited, Finished, ...), of the first replica for a replicated project.</param>
/// <param name="Health">Healthy, Unhealthy, Degraded, or null before health is known.</param>
/// <param name="Urls">The resource's URLs (a replicated project's shared endpoint).</param>
/// <param name="ConnectionStringFile">For Redis and PostgreSQL: an owner-only file holding the connection string.</param>
public sealed record ResourceState(
    string Name,
    string Kind,
    string? State,
    string? Health,
    int? ExitCode,
    IReadOnlyList<string> Urls,
    IReadOnlyList<int> ProcessIds,
    IReadOnlyList<ReplicaState> Replicas,
    string? ConnectionStringFile)
{
    [JsonIgnore]
    public bool IsHealthy => State == "Running" && Health is null or "Healthy";
}

/// <param name="Url">Where this replica itself listens, bypassing the shared endpoint (for tests that pick a replica).</param>
public sealed record ReplicaState(string Id, string? State, string? Health, int? ProcessId, string? Url, int Restarts);
