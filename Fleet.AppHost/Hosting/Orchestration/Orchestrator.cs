using System.Diagnostics;
using Fleet.AppHost.Hosting.Dashboard;
using Fleet.AppHost.Hosting.Provisioning;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Fleet.AppHost.Hosting.Orchestration;

/// <summary>
/// Brings the app model up: backing servers first (configured, container or local), databases on them,
/// then projects as their WaitFor dependencies turn healthy. Stops everything it started, dependents first.
/// </summary>
public sealed class Orchestrator : BackgroundService
{
    private readonly AppModel _model;
    private readonly AppHostPaths _paths;
    private readonly ConsoleReporter _console;
    private readonly AppHostStateFile _stateFile;
    private readonly IConfiguration _configuration;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly OtlpExporterSettings? _otlp;
    private readonly Dictionary<string, ResourceRuntime> _runtimes;
    private readonly Dictionary<string, ProjectRunner> _projects = [];
    private readonly List<RunningServer> _servers = [];
    private readonly TaskCompletionSource _allReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _containerProbe = new(1, 1);
    private bool _containerEngineProbed;
    private ContainerEngine? _containerEngine;
    private volatile bool _running = true;

    public Orchestrator(
        AppModel model, AppHostPaths paths, ConsoleReporter console, AppHostStateFile stateFile, IConfiguration configuration, IHostApplicationLifetime lifetime, OtlpExporterSettings? otlp = null)
    {
        _otlp = otlp;
        _model = model;
        _paths = paths;
        _console = console;
        _stateFile = stateFile;
        _configuration = configuration;
        _lifetime = lifetime;
        _runtimes = model.Resources.ToDictionary(resource => resource.Name, resource => new ResourceRuntime(resource, OnChanged), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Completes when every resource is healthy; faults when one cannot start.</summary>
    public Task AllReady => _allReady.Task;

    public ResourceSnapshot Snapshot(string name) => Runtime(name).Snapshot();

    public string GetConnectionString(string name) =>
        Runtime(name).ConnectionString ?? throw new InvalidOperationException($"Resource '{name}' has no connection string (yet).");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await _stateFile.TakeOverAsync(stoppingToken);
            foreach (var project in _model.Resources.OfType<ProjectResource>())
            {
                _projects[project.Name] = new ProjectRunner(project, Runtime(project.Name), _console);
            }

            WriteState();
            var dashboard = _projects.Values.FirstOrDefault(runner => runner.Project.IsDashboard);
            if (dashboard is not null)
            {
                _console.Notice($"dashboard: {dashboard.Urls[0]}");
            }

            // The dashboard's process starts before any other resource's, as Aspire starts its dashboard first.
            var pending = _runtimes.Values
                .OrderByDescending(runtime => runtime.Resource is ProjectResource { IsDashboard: true })
                .Select(runtime => StartAsync(runtime, stoppingToken))
                .ToList();
            while (pending.Count > 0)
            {
                var finished = await Task.WhenAny(pending);
                pending.Remove(finished);
                await finished;
            }

            _console.Table(Snapshots());
            _console.Notice($"all resources healthy in {clock.Elapsed.TotalSeconds:0.0} s; state in {_paths.StateFile}. Ctrl+C stops everything.");
            _allReady.TrySetResult();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _allReady.TrySetCanceled(stoppingToken);
        }
        catch (Exception exception)
        {
            _console.Notice($"error: {exception.Message}");
            Environment.ExitCode = 1;
            _allReady.TrySetException(exception);
            _lifetime.StopApplication();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _console.Notice("stopping every resource ...");
        await base.StopAsync(cancellationToken);
        foreach (var tier in StopTiers())
        {
            await Task.WhenAll(tier.Select(runner => runner.StopAsync()));
        }

        foreach (var runner in _projects.Values)
        {
            runner.Dispose();
        }

        RunningServer[] servers;
        lock (_servers)
        {
            servers = [.. _servers];
        }

        await Task.WhenAll(servers.Select(server => server.StopAsync()));
        foreach (var runtime in _runtimes.Values.Where(runtime => runtime.Resource is not ProjectResource and not ParameterResource))
        {
            runtime.SetProcess(0, null);
            runtime.SetState(ResourceState.Stopped);
        }

        _running = false;
        WriteState();
        _console.Notice("stopped.");
    }

    private async Task StartAsync(ResourceRuntime runtime, CancellationToken cancellationToken)
    {
        try
        {
            switch (runtime.Resource)
            {
                case ParameterResource:
                    runtime.Ready.TrySetResult();
                    return;
                case RedisResource or PostgresServerResource:
                    runtime.SetState(ResourceState.Starting);
                    var server = await ProvisionAsync(runtime.Resource, cancellationToken);
                    runtime.SetProcess(0, server.ProcessId);
                    ServerReady(runtime, server.ConnectionString, server.Mode.ToString().ToLowerInvariant(), server.Url);
                    return;
                case PostgresDatabaseResource database:
                    var parent = Runtime(database.Server.Name);
                    await parent.Ready.Task.WaitAsync(cancellationToken);
                    runtime.SetState(ResourceState.Starting);
                    await LocalPostgresServer.EnsureDatabaseAsync(parent.ConnectionString!, database.DatabaseName, cancellationToken);
                    ServerReady(runtime, $"{parent.ConnectionString};Database={database.DatabaseName}", "database", $"{parent.Snapshot().Urls[0]}/{database.DatabaseName}");
                    return;
                case ProjectResource project:
                    await Task.WhenAll(project.WaitsFor.Select(dependency => Runtime(dependency.Name).Ready.Task)).WaitAsync(cancellationToken);
                    var runner = _projects[project.Name];
                    runner.Start(replica => ProjectEnvironment(project, replica));
                    await runner.AllHealthy.WaitAsync(cancellationToken);
                    runtime.Ready.TrySetResult();
                    return;
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            runtime.SetState(ResourceState.Failed);
            runtime.Ready.TrySetException(exception);
            throw;
        }
    }

    private void ServerReady(ResourceRuntime runtime, string connectionString, string mode, string url)
    {
        runtime.ConnectionString = connectionString;
        var (_, file) = _paths.WriteSecret($"connectionstring-{runtime.Name}", connectionString);
        runtime.ConnectionStringFile = file;
        runtime.SetEndpoint(mode, [url]);
        runtime.SetState(ResourceState.Healthy);
        runtime.Ready.TrySetResult();
    }

    /// <summary>A connection string from configuration wins; then a container engine; then the local binaries.</summary>
    private async Task<RunningServer> ProvisionAsync(IResource resource, CancellationToken cancellationToken)
    {
        var isRedis = resource is RedisResource;
        var configured = _configuration.GetConnectionString(resource.Name);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (isRedis)
            {
                await LocalRedisServer.WaitUntilAnswersAsync(configured, null, cancellationToken);
            }
            else
            {
                await LocalPostgresServer.WaitUntilAnswersAsync(configured, null, null, cancellationToken);
            }

            return new RunningServer(ProvisioningMode.ConnectionString, configured, "(configured)");
        }

        var password = _paths.GetOrCreateSecret($"{resource.Name}-password").Value;
        var dataDirectory = Path.Combine(_paths.StateDirectory, resource.Name);
        var engine = await ContainerEngineAsync(cancellationToken);
        var containerName = $"fleet-{resource.Name}-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(_paths.StateDirectory)))[..8]}";
        void OnLine(string line, bool _) => _console.ChildLine(resource.Name, line);
        var redisBin = _configuration["Fleet:Redis:BinDirectory"];
        var postgresBin = _configuration["Fleet:Postgres:BinDirectory"];

        var server = (isRedis, engine) switch
        {
            (true, not null) => await engine.StartRedisAsync(containerName, new LocalRedisOptions(dataDirectory, password), cancellationToken),
            (false, not null) => await engine.StartPostgresAsync(containerName, new LocalPostgresOptions(dataDirectory, password), cancellationToken),
            (true, null) when LocalRedisServer.IsAvailable(redisBin) => await LocalRedisServer.StartAsync(
                new LocalRedisOptions(dataDirectory, password, BinDirectory: redisBin), OnLine, cancellationToken),
            (false, null) when LocalPostgresServer.IsAvailable(postgresBin) => await LocalPostgresServer.StartAsync(
                new LocalPostgresOptions(dataDirectory, password, RunAsUser: _configuration["Fleet:Postgres:RunAsUser"], BinDirectory: postgresBin), OnLine, cancellationToken),
            _ => throw new BackingServiceUnavailableException(
                $"{resource.Name}: no connection string is configured, no container engine answers and {(isRedis ? "redis-server" : "PostgreSQL's initdb/postgres")} is not installed. {ServerBinaries.InstallHint}"),
        };
        lock (_servers)
        {
            _servers.Add(server);
        }

        return server;
    }

    /// <summary>Asks docker/podman once per run; <c>Fleet:ContainerRuntime=none</c> skips the question.</summary>
    private async Task<ContainerEngine?> ContainerEngineAsync(CancellationToken cancellationToken)
    {
        await _containerProbe.WaitAsync(cancellationToken);
        try
        {
            if (!_containerEngineProbed)
            {
                _containerEngine = _configuration["Fleet:ContainerRuntime"] is "none" ? null : await ContainerEngine.DetectAsync(cancellationToken);
                _containerEngineProbed = true;
            }

            return _containerEngine;
        }
        finally
        {
            _containerProbe.Release();
        }
    }

    /// <summary>Aspire's wiring: connection strings, service discovery URLs, OpenTelemetry settings.</summary>
    private Dictionary<string, string?> ProjectEnvironment(ProjectResource project, ProjectRunner.Replica replica)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = replica.Url,
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["OTEL_SERVICE_NAME"] = project.Name,
            ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={replica.Label}",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "1000",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "5000",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        };
        if (!project.IsDashboard && (DashboardWiring.ConfiguredEndpoint(_configuration) ?? _otlp) is { } otlp)
        {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp.Endpoint;
            environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = otlp.Protocol;
            environment["OTEL_EXPORTER_OTLP_HEADERS"] = otlp.Headers;
        }

        foreach (var reference in project.References)
        {
            if (reference is ProjectResource referenced)
            {
                var urls = _projects[referenced.Name].Urls;
                for (var i = 0; i < urls.Count; i++)
                {
                    environment[$"services__{referenced.Name}__http__{i}"] = urls[i];
                }
            }
            else
            {
                environment[$"ConnectionStrings__{reference.Name}"] = Runtime(reference.Name).ConnectionString;
            }
        }

        foreach (var value in project.Environment)
        {
            environment[value.Name] = value.Value();
        }

        return environment;
    }

    /// <summary>Projects grouped so that each group is stopped before the projects it depends on.</summary>
    private IEnumerable<IReadOnlyList<ProjectRunner>> StopTiers()
    {
        var remaining = _projects.Values.ToList();
        while (remaining.Count > 0)
        {
            var tier = remaining.Where(candidate => !remaining.Any(other =>
                other != candidate && (other.Project.WaitsFor.Contains(candidate.Project) || other.Project.References.Contains(candidate.Project)))).ToList();
            if (tier.Count == 0)
            {
                tier = remaining;
            }

            remaining = remaining.Except(tier).ToList();
            yield return tier;
        }
    }

    private ResourceRuntime Runtime(string name) =>
        _runtimes.TryGetValue(name, out var runtime) ? runtime : throw new KeyNotFoundException($"No resource named '{name}'.");

    public bool Has(string name) => _runtimes.ContainsKey(name);

    /// <summary>Projects other than the dashboard itself can be stopped, started and restarted from the dashboard.</summary>
    public bool CanControl(string name) => _projects.TryGetValue(name, out var runner) && !runner.Project.IsDashboard;

    public async Task ControlAsync(string name, ResourceCommand command)
    {
        var runner = CanControl(name) ? _projects[name] : throw new InvalidOperationException($"'{name}' cannot be controlled.");
        _console.Notice($"{command.ToString().ToLowerInvariant()} {name} (asked from the dashboard)");
        switch (command)
        {
            case ResourceCommand.Stop:
                await runner.StopReplicasAsync();
                break;
            default:
                await runner.StartAgainAsync(restart: command == ResourceCommand.Restart);
                break;
        }
    }

    public List<ResourceSnapshot> Snapshots() => _model.Resources.Select(resource => _runtimes[resource.Name].Snapshot()).ToList();

    private void OnChanged(ResourceRuntime runtime, bool stateChanged)
    {
        var state = runtime.State;
        if (stateChanged && state is ResourceState.Healthy or ResourceState.Failed or ResourceState.Unhealthy)
        {
            _console.Notice($"{runtime.Name} is {state.ToString().ToLowerInvariant()}");
        }

        WriteState();
    }

    private void WriteState() => _stateFile.Write(Snapshots(), _running);
}
