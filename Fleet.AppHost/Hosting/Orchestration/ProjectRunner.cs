using System.Reflection;
using Fleet.AppHost.Hosting.Provisioning;

namespace Fleet.AppHost.Hosting.Orchestration;

/// <summary>
/// Runs a project's replicas as child processes from their build output, watches their health endpoint,
/// and restarts a replica that exits with exponential backoff.
/// </summary>
internal sealed class ProjectRunner : IDisposable
{
    private static readonly HttpClient HealthClient = new() { Timeout = TimeSpan.FromSeconds(2) };
    private static readonly TimeSpan StableRun = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly ProjectResource _project;
    private readonly ResourceRuntime _runtime;
    private readonly ConsoleReporter _console;
    private readonly Replica[] _replicas;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _control = new(1, 1);
    private CancellationTokenSource? _run;
    private string? _entryAssembly;
    private Func<Replica, IReadOnlyDictionary<string, string?>>? _environment;
    private Task[] _loops = [];

    public ProjectRunner(ProjectResource project, ResourceRuntime runtime, ConsoleReporter console)
    {
        _project = project;
        _runtime = runtime;
        _console = console;
        _replicas = Enumerable.Range(0, project.Replicas)
            .Select(index => new Replica(
                index,
                project.Replicas == 1 ? project.Name : $"{project.Name}-{index}",
                PortAllocator.Choose(project.Replicas == 1 ? project.PreferredPort : null)))
            .ToArray();
        _runtime.SetEndpoint("process", Urls);
    }

    public ProjectResource Project => _project;

    public IReadOnlyList<string> Urls => _replicas.Select(replica => replica.Url).ToList();

    /// <summary>Completes when every replica has answered its health check once.</summary>
    public Task AllHealthy => Task.WhenAll(_replicas.Select(replica => replica.FirstHealthy.Task));

    public void Start(Func<Replica, IReadOnlyDictionary<string, string?>> environment)
    {
        _entryAssembly = ResolveEntryAssembly(_project.ProjectPath);
        _environment = environment;
        StartReplicas();
    }

    /// <summary>Stops the replicas on an operator's request; <see cref="StartAgainAsync"/> brings them back.</summary>
    public async Task StopReplicasAsync()
    {
        await _control.WaitAsync();
        try
        {
            await StopRunAsync();
        }
        finally
        {
            _control.Release();
        }
    }

    /// <summary>Starts stopped replicas again, or restarts running ones, with the environment they first had.</summary>
    public async Task StartAgainAsync(bool restart)
    {
        await _control.WaitAsync();
        try
        {
            if (_environment is null || _stopping.IsCancellationRequested)
            {
                throw new InvalidOperationException($"{_project.Name} has not been started by the AppHost yet.");
            }

            if (_run is { IsCancellationRequested: false })
            {
                if (!restart)
                {
                    return;
                }

                await StopRunAsync();
            }

            StartReplicas();
        }
        finally
        {
            _control.Release();
        }
    }

    /// <summary>Stops for good (the AppHost is shutting down).</summary>
    public async Task StopAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        await _control.WaitAsync();
        try
        {
            await StopRunAsync();
            _runtime.SetState(ResourceState.Stopped);
        }
        finally
        {
            _control.Release();
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _control.Dispose();
        _run?.Dispose();
    }

    private void StartReplicas()
    {
        _run?.Dispose();
        _run = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        _runtime.SetState(ResourceState.Starting);
        var run = _run.Token;
        _loops = _replicas.Select(replica => RunReplicaAsync(replica, _entryAssembly!, _environment!(replica), run)).ToArray();
    }

    private async Task StopRunAsync()
    {
        if (_run is null || (_loops.All(loop => loop.IsCompleted) && _run.IsCancellationRequested))
        {
            return;
        }

        _runtime.SetState(ResourceState.Stopping);
        await _run.CancelAsync();
        await Task.WhenAll(_replicas.Select(replica => replica.Process?.StopAsync(Posix.SIGTERM, TimeSpan.FromSeconds(15)) ?? Task.CompletedTask));
        await Task.WhenAll(_loops);
        _runtime.SetState(ResourceState.Stopped);
    }

    private async Task RunReplicaAsync(Replica replica, string entryAssembly, IReadOnlyDictionary<string, string?> environment, CancellationToken run)
    {
        var consecutiveCrashes = 0;
        while (!run.IsCancellationRequested)
        {
            var process = ChildProcess.Start(
                new ChildProcessSpec("dotnet", [entryAssembly], Path.GetDirectoryName(_project.ProjectPath)!, environment),
                (line, isError) => _console.ChildLine(_project.Name, replica.Label, line, isError));
            replica.Process = process;
            replica.State = ResourceState.Running;
            _runtime.SetProcess(replica.Index, process.Id);
            UpdateResourceState(run);

            using var watching = CancellationTokenSource.CreateLinkedTokenSource(run);
            var health = WatchHealthAsync(replica, process, run, watching.Token);
            var exitCode = await process.Exited;
            await watching.CancelAsync();
            await health;
            _runtime.SetProcess(replica.Index, null);
            if (run.IsCancellationRequested)
            {
                break;
            }

            consecutiveCrashes = DateTimeOffset.UtcNow - process.StartedAt >= StableRun ? 1 : consecutiveCrashes + 1;
            var delay = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, consecutiveCrashes - 1)));
            replica.State = ResourceState.Restarting;
            _runtime.CountRestart();
            UpdateResourceState(run);
            _console.Notice($"{replica.Label} exited with code {exitCode}; restarting in {delay.TotalSeconds:0} s.");
            try
            {
                await Task.Delay(delay, run);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        replica.State = ResourceState.Stopped;
    }

    /// <summary>Polls the health endpoint: quickly until the first answer, then every few seconds.</summary>
    private async Task WatchHealthAsync(Replica replica, ChildProcess process, CancellationToken run, CancellationToken cancellationToken)
    {
        var everHealthy = false;
        while (!cancellationToken.IsCancellationRequested && !process.HasExited)
        {
            var healthy = _project.HealthCheckPath is null || await AnswersAsync(replica.Url + _project.HealthCheckPath, cancellationToken);
            var state = healthy ? ResourceState.Healthy : everHealthy ? ResourceState.Unhealthy : ResourceState.Running;
            everHealthy |= healthy;
            if (replica.State != state && !process.HasExited)
            {
                replica.State = state;
                UpdateResourceState(run);
            }

            if (healthy)
            {
                replica.FirstHealthy.TrySetResult();
            }

            try
            {
                await Task.Delay(everHealthy ? TimeSpan.FromSeconds(5) : TimeSpan.FromMilliseconds(200), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<bool> AnswersAsync(string url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await HealthClient.GetAsync(url, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>The worst replica state is the resource's state.</summary>
    private void UpdateResourceState(CancellationToken run)
    {
        var states = _replicas.Select(replica => replica.State).ToList();
        var state = states.All(s => s == ResourceState.Healthy) ? ResourceState.Healthy
            : states.Contains(ResourceState.Restarting) ? ResourceState.Restarting
            : states.Contains(ResourceState.Unhealthy) ? ResourceState.Unhealthy
            : ResourceState.Running;
        if (!run.IsCancellationRequested)
        {
            _runtime.SetState(state);
        }
    }

    /// <summary>The project's built entry assembly, from the same configuration the AppHost was built in.</summary>
    private static string ResolveEntryAssembly(string projectPath)
    {
        var configuration = typeof(ProjectRunner).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var name = Path.GetFileNameWithoutExtension(projectPath);
        var binDirectory = Path.Combine(Path.GetDirectoryName(projectPath)!, "bin", configuration);
        var candidate = Directory.Exists(binDirectory)
            ? Directory.GetDirectories(binDirectory).Select(framework => Path.Combine(framework, name + ".dll")).FirstOrDefault(File.Exists)
            : null;
        return candidate ?? throw new BackingServiceUnavailableException(
            $"{name} is not built ({binDirectory}). `dotnet run --project Fleet.AppHost` builds it; or run `dotnet build Fleet.Aspire.sln -c {configuration}`.");
    }

    internal sealed class Replica(int index, string label, int port)
    {
        public int Index { get; } = index;

        public string Label { get; } = label;

        public string Url { get; } = $"http://127.0.0.1:{port}";

        public ChildProcess? Process { get; set; }

        public ResourceState State { get; set; } = ResourceState.Waiting;

        public TaskCompletionSource FirstHealthy { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
