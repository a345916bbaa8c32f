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
    private Task[] _loops = [];

    public ProjectRunner(ProjectResource project, ResourceRuntime runtime, ConsoleReporter console)
    {
        _project = project;
        _runtime = runtime;
        _console = console;
        _replicas = Enumerable.Range(0, project.Replicas)
            .Select(index => new Replica(index, project.Replicas == 1 ? project.Name : $"{project.Name}-{index}", PortAllocator.Choose()))
            .ToArray();
        _runtime.SetEndpoint("process", Urls);
    }

    public ProjectResource Project => _project;

    public IReadOnlyList<string> Urls => _replicas.Select(replica => replica.Url).ToList();

    /// <summary>Completes when every replica has answered its health check once.</summary>
    public Task AllHealthy => Task.WhenAll(_replicas.Select(replica => replica.FirstHealthy.Task));

    public void Start(Func<Replica, IReadOnlyDictionary<string, string?>> environment)
    {
        var entryAssembly = ResolveEntryAssembly(_project.ProjectPath);
        _runtime.SetState(ResourceState.Starting);
        _loops = _replicas.Select(replica => RunReplicaAsync(replica, entryAssembly, environment(replica))).ToArray();
    }

    public async Task StopAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _runtime.SetState(ResourceState.Stopping);
        await _stopping.CancelAsync();
        await Task.WhenAll(_replicas.Select(replica => replica.Process?.StopAsync(Posix.SIGTERM, TimeSpan.FromSeconds(15)) ?? Task.CompletedTask));
        await Task.WhenAll(_loops);
        _runtime.SetState(ResourceState.Stopped);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RunReplicaAsync(Replica replica, string entryAssembly, IReadOnlyDictionary<string, string?> environment)
    {
        var consecutiveCrashes = 0;
        while (!_stopping.IsCancellationRequested)
        {
            var process = ChildProcess.Start(
                new ChildProcessSpec("dotnet", [entryAssembly], Path.GetDirectoryName(_project.ProjectPath)!, environment),
                (line, _) => _console.ChildLine(replica.Label, line));
            replica.Process = process;
            replica.State = ResourceState.Running;
            _runtime.SetProcess(replica.Index, process.Id);
            UpdateResourceState();

            using var watching = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            var health = WatchHealthAsync(replica, process, watching.Token);
            var exitCode = await process.Exited;
            await watching.CancelAsync();
            await health;
            _runtime.SetProcess(replica.Index, null);
            if (_stopping.IsCancellationRequested)
            {
                break;
            }

            consecutiveCrashes = DateTimeOffset.UtcNow - process.StartedAt >= StableRun ? 1 : consecutiveCrashes + 1;
            var delay = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, consecutiveCrashes - 1)));
            replica.State = ResourceState.Restarting;
            _runtime.CountRestart();
            UpdateResourceState();
            _console.Notice($"{replica.Label} exited with code {exitCode}; restarting in {delay.TotalSeconds:0} s.");
            try
            {
                await Task.Delay(delay, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        replica.State = ResourceState.Stopped;
    }

    /// <summary>Polls the health endpoint: quickly until the first answer, then every few seconds.</summary>
    private async Task WatchHealthAsync(Replica replica, ChildProcess process, CancellationToken cancellationToken)
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
                UpdateResourceState();
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
    private void UpdateResourceState()
    {
        var states = _replicas.Select(replica => replica.State).ToList();
        var state = states.All(s => s == ResourceState.Healthy) ? ResourceState.Healthy
            : states.Contains(ResourceState.Restarting) ? ResourceState.Restarting
            : states.Contains(ResourceState.Unhealthy) ? ResourceState.Unhealthy
            : ResourceState.Running;
        if (!_stopping.IsCancellationRequested)
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
