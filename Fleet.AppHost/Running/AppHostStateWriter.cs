using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.AppHost.Running;

/// <summary>
/// Keeps <c>apphost.json</c> in the state folder current from Aspire's resource notifications (at most every 250 ms), and
/// puts the secrets tools need beside it as owner-only files: the tokens, the first admin's password, the servers' connection
/// strings, the dashboard's login link and API key, and each resource's console in <c>logs/{resource id}.log</c> (what the
/// dashboard's console view shows, for scripts and failed tests). Says once on the console where to sign in to the web.
/// Refuses a state folder that another running AppHost uses.
/// </summary>
public sealed partial class AppHostStateWriter(
    ResourceNotificationService notifications,
    DistributedApplicationModel model,
    DistributedApplicationExecutionContext context,
    CrashRestarts restarts,
    IConfiguration configuration,
    ResourceLoggerService resourceLogs,
    IServiceProvider services,
    ILogger<AppHostStateWriter> logger) : BackgroundService
{
    /// <summary>Parameters whose values tools and tests read from the state folder.</summary>
    public static readonly string[] ExportedSecrets =
        [FleetResources.OperatorToken, FleetResources.EnrollmentToken, FleetResources.AdminPassword, FleetResources.SimulatorToken];

    /// <summary>The first admin's user name; its password is the <see cref="FleetResources.AdminPassword"/> parameter.</summary>
    public const string AdminUser = "admin";

    private const string DashboardResource = "aspire-dashboard";
    private readonly ConcurrentDictionary<string, ResourceEvent> _latest = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _secrets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _exporting = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _connectionStringFiles = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private string _stateDirectory = "";
    private DashboardState? _dashboard;
    private bool _signInShown;
    private volatile bool _dirty = true;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (context.IsRunMode)
        {
            _stateDirectory = StateFolder.Resolve(configuration[AppHostCommandLine.StateDirectoryKey]);
            Directory.CreateDirectory(_stateDirectory);
            RefuseSharedStateFolder();
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!context.IsRunMode)
        {
            return;
        }

        _ = FlushLoopAsync(stoppingToken);
        try
        {
            await foreach (var update in notifications.WatchAsync(stoppingToken))
            {
                // The dashboard's browser endpoint, not its OTLP or resource-service ones.
                if (update.Resource.Name == DashboardResource
                    && update.Snapshot.Urls.FirstOrDefault(url => !url.IsInternal && url.Name is "http" or "https") is { } dashboardUrl)
                {
                    // Its URL carries the login token; apphost.json keeps the address only, the link goes to an owner-only file.
                    _dashboard = ExportDashboard(new Uri(dashboardUrl.Url).GetLeftPart(UriPartial.Authority));
                    _dirty = true;
                }

                // A parameter's value can be read once Aspire has resolved it, which its first notification tells;
                // asked earlier, the wait can be on a completion source that Aspire replaces, and never end.
                if (update.Resource is ParameterResource parameter)
                {
                    ExportSecret(parameter, stoppingToken);
                    continue;
                }

                if (_secrets.Count < ExportedSecrets.Length && update.Snapshot.State?.Text == KnownResourceStates.Running)
                {
                    // A resource running means Aspire has resolved the parameters it was started with.
                    foreach (var exported in model.Resources.OfType<ParameterResource>())
                    {
                        ExportSecret(exported, stoppingToken);
                    }
                }

                if (update.Snapshot.IsHidden)
                {
                    continue;
                }

                if (!_signInShown && update.Resource.Name == FleetResources.Web && update.Snapshot.State?.Text == KnownResourceStates.Running)
                {
                    _signInShown = true;
                    var webUrl = update.Snapshot.Urls.FirstOrDefault(url => !url.IsInternal)?.Url ?? FleetResources.Web;
                    var passwordFile = StateFolder.SecretFile(_stateDirectory, FleetResources.AdminPassword);
                    LogSignIn(logger, webUrl, AdminUser, passwordFile);
                }

                if (_latest.TryAdd(update.ResourceId, update))
                {
                    _ = CopyConsoleAsync(update.ResourceId, stoppingToken);
                }

                _latest[update.ResourceId] = update;
                _dirty = true;
                if (update.Resource is IResourceWithConnectionString source && update.Snapshot.State?.Text == KnownResourceStates.Running
                    && !_connectionStringFiles.ContainsKey(source.Name))
                {
                    var connectionString = await source.GetConnectionStringAsync(stoppingToken);
                    _connectionStringFiles[source.Name] = StateFolder.WriteSecret(_stateDirectory, $"{source.Name}.connection", connectionString ?? "");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (context.IsRunMode)
        {
            Write(running: false);
        }
    }

    private async Task FlushLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (_dirty)
                {
                    _dirty = false;
                    Write(running: true);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void ExportSecret(ParameterResource parameter, CancellationToken stoppingToken)
    {
        if (!ExportedSecrets.Contains(parameter.Name) || _secrets.ContainsKey(parameter.Name) || !_exporting.TryAdd(parameter.Name, true))
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                var value = await parameter.GetValueAsync(stoppingToken).AsTask().WaitAsync(TimeSpan.FromSeconds(5), stoppingToken);
                _secrets[parameter.Name] = StateFolder.WriteSecret(_stateDirectory, parameter.Name, value ?? "");
                _dirty = true;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogWriteFailed(logger, parameter.Name, exception.Message);
            }
            finally
            {
                _exporting.TryRemove(parameter.Name, out _);
            }
        }, stoppingToken);
    }

    private async Task CopyConsoleAsync(string resourceId, CancellationToken stoppingToken)
    {
        try
        {
            var folder = Path.Combine(_stateDirectory, "logs");
            Directory.CreateDirectory(folder);
            await using var file = new StreamWriter(Path.Combine(folder, resourceId + ".log"), append: true) { AutoFlush = true };
            await foreach (var lines in resourceLogs.WatchAsync(resourceId).WithCancellation(stoppingToken))
            {
                foreach (var line in lines)
                {
                    await file.WriteLineAsync(line.Content);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (IOException exception)
        {
            LogWriteFailed(logger, resourceId, exception.Message);
        }
    }

    private DashboardState ExportDashboard(string url)
    {
        var loginFile = configuration["AppHost:BrowserToken"] is { Length: > 0 } token
            ? StateFolder.WriteSecret(_stateDirectory, "dashboard-login-url", $"{url.TrimEnd('/')}/login?t={token}")
            : null;
        var apiKeyFile = configuration["AppHost:DashboardApiKey"] is { Length: > 0 } apiKey
            ? StateFolder.WriteSecret(_stateDirectory, "dashboard-api-key", apiKey)
            : null;
        return new DashboardState(url, loginFile, apiKeyFile);
    }

    private void RefuseSharedStateFolder()
    {
        var previous = AppHostState.Read(StateFolder.StateFile(_stateDirectory));
        if (previous is { Running: true } && previous.AppHostProcessId != Environment.ProcessId && IsAppHost(previous.AppHostProcessId))
        {
            BackingServices.FailApp(services, $"Another Fleet.AppHost (pid {previous.AppHostProcessId}) is using the state folder {_stateDirectory}. Stop it, or pass --state-dir.");
        }
    }

    private static bool IsAppHost(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("Fleet.AppHost", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void Write(bool running)
    {
        var resources = model.Resources
            .Where(resource => resource is not ParameterResource && resource.Name != DashboardResource && !_latest.Values.Any(update => update.Resource == resource && update.Snapshot.IsHidden))
            .Where(resource => !resource.Name.EndsWith("-rebuilder", StringComparison.Ordinal))
            .Select(Describe)
            .ToList();
        // Ready means usable by tools too: the secrets they read are in place.
        var ready = running && resources.Count > 0 && ExportedSecrets.All(_secrets.ContainsKey) && resources.All(resource =>
            resource.Name == FleetResources.Migrations ? resource.State == KnownResourceStates.Finished && resource.ExitCode == 0 : resource.IsHealthy);
        var state = new AppHostState(Environment.ProcessId, running, ready, _startedAt, DateTimeOffset.UtcNow, _stateDirectory, _dashboard, resources, new Dictionary<string, string>(_secrets));
        var file = StateFolder.StateFile(_stateDirectory);
        try
        {
            File.WriteAllText(file + ".tmp", JsonSerializer.Serialize(state, AppHostState.JsonOptions));
            File.Move(file + ".tmp", file, overwrite: true);
        }
        catch (IOException exception)
        {
            LogWriteFailed(logger, file, exception.Message);
        }
    }

    private ResourceState Describe(IResource resource)
    {
        var replicas = _latest.Values.Where(update => update.Resource == resource).OrderBy(update => update.ResourceId, StringComparer.Ordinal).ToList();
        var first = replicas.FirstOrDefault()?.Snapshot;
        var urls = first?.Urls.Where(url => !url.IsInternal).Select(url => url.Url).ToList() ?? [];
        return new ResourceState(
            resource.Name,
            first?.ResourceType ?? resource.GetType().Name,
            first?.State?.Text,
            first?.HealthStatus?.ToString(),
            first?.ExitCode,
            urls,
            replicas.Select(update => ProcessId(update.Snapshot)).OfType<int>().ToList(),
            replicas.Select(update => new ReplicaState(
                update.ResourceId, update.Snapshot.State?.Text, update.Snapshot.HealthStatus?.ToString(), ProcessId(update.Snapshot), OwnUrl(update.Snapshot), restarts.RestartsOf(update.ResourceId))).ToList(),
            _connectionStringFiles.GetValueOrDefault(resource.Name));
    }

    private static int? ProcessId(CustomResourceSnapshot snapshot) =>
        snapshot.Properties.FirstOrDefault(property => property.Name == "executable.pid")?.Value switch
        {
            int pid => AppProcessOf(pid),
            long pid => AppProcessOf((int)pid),
            string text when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) => AppProcessOf(pid),
            _ => null,
        };

    /// <summary>DCP starts projects through <c>dotnet run</c>; the process that serves (and that a fault drill kills) is its child.</summary>
    private static int AppProcessOf(int pid)
    {
        try
        {
            if (!File.ReadAllText($"/proc/{pid}/cmdline").Contains("\0run\0", StringComparison.Ordinal))
            {
                return pid;
            }

            var children = File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return children.Length > 0 && int.TryParse(children[0], NumberStyles.None, CultureInfo.InvariantCulture, out var child) ? child : pid;
        }
        catch (IOException)
        {
            return pid;
        }
    }

    /// <summary>A project replica's own address (behind DCP's shared endpoint), from the ASPNETCORE_URLS it was started with.</summary>
    private static string? OwnUrl(CustomResourceSnapshot snapshot) =>
        snapshot.EnvironmentVariables.FirstOrDefault(variable => variable.Name == "ASPNETCORE_URLS")?.Value?
            .Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();

    [LoggerMessage(Level = LogLevel.Information, Message = "Sign in to the web at {WebUrl} as {User}; the password is in {PasswordFile}")]
    private static partial void LogSignIn(ILogger logger, string webUrl, string user, string passwordFile);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write {File}: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string file, string reason);
}
