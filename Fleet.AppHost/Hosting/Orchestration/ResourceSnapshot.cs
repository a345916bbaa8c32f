namespace Fleet.AppHost.Hosting.Orchestration;

/// <summary>Lifecycle of a resource as the console, apphost.json and the tests see it.</summary>
public enum ResourceState
{
    Waiting,
    Starting,
    Running,
    Healthy,
    Unhealthy,
    Restarting,
    Failed,
    Stopping,
    Stopped,
}

/// <summary>One resource's state at a moment; this is what apphost.json lists.</summary>
public sealed record ResourceSnapshot(
    string Name,
    string Kind,
    ResourceState State,
    string? Mode,
    IReadOnlyList<string> Urls,
    IReadOnlyList<int> ProcessIds,
    int Restarts,
    DateTimeOffset? StartedAt,
    string? ConnectionStringFile,
    string? SecretFile);
