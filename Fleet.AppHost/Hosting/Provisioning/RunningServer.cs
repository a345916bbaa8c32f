namespace Fleet.AppHost.Hosting.Provisioning;

/// <summary>How a backing service is provided: given by configuration, in a container, or from local binaries.</summary>
public enum ProvisioningMode
{
    ConnectionString,
    Container,
    Local,
}

/// <summary>A backing server that answers: where to reach it, and how to stop what was started for it.</summary>
public sealed class RunningServer(
    ProvisioningMode mode,
    string connectionString,
    string url,
    Func<Task>? stop = null,
    int? processId = null) : IAsyncDisposable
{
    public ProvisioningMode Mode { get; } = mode;

    public string ConnectionString { get; } = connectionString;

    public string Url { get; } = url;

    /// <summary>The server's own process when the AppHost started one locally.</summary>
    public int? ProcessId { get; } = processId;

    public Task StopAsync() => stop?.Invoke() ?? Task.CompletedTask;

    public async ValueTask DisposeAsync() => await StopAsync();
}

/// <summary>Neither a connection string, a container engine nor the server binaries are available.</summary>
public sealed class BackingServiceUnavailableException(string message) : Exception(message);
