using Fleet.AppHost.Hosting.Dashboard;
using Fleet.AppHost.Hosting.Orchestration;
using Fleet.AppHost.Publishing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.AppHost.Hosting;

public interface IDistributedApplicationBuilder
{
    ConfigurationManager Configuration { get; }

    IHostEnvironment Environment { get; }

    /// <summary>The AppHost's project folder; project paths are relative to it.</summary>
    string AppHostDirectory { get; }

    AppHostPaths Paths { get; }

    DistributedApplicationExecutionContext ExecutionContext { get; }

    IReadOnlyList<IResource> Resources { get; }

    IResourceBuilder<T> AddResource<T>(T resource) where T : IResource;

    IResourceBuilder<ParameterResource> AddParameter(string name, bool secret = false);

    DistributedApplication Build();
}

public sealed class DistributedApplicationBuilder : IDistributedApplicationBuilder
{
    private readonly HostApplicationBuilder _host;
    private readonly List<IResource> _resources = [];

    internal DistributedApplicationBuilder(IReadOnlyDictionary<string, string?> commandLineConfiguration, string[] args)
    {
        _host = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = "Fleet.AppHost",
            Args = [],
            ContentRootPath = AppHostPaths.FindRepositoryRoot() is var root ? Path.Combine(root, "Fleet.AppHost") : null,
        });
        _host.Configuration.AddInMemoryCollection(commandLineConfiguration);
        Paths = AppHostPaths.Resolve(_host.Configuration[AppHostCommandLine.StateDirectoryKey]);
        Arguments = args;
        ExecutionContext = new DistributedApplicationExecutionContext(
            _host.Configuration[AppHostCommandLine.PublisherKey], _host.Configuration[AppHostCommandLine.OutputPathKey]);
        if (ExecutionContext.IsPublishMode)
        {
            AppPublishers.Validate(ExecutionContext);
        }

        foreach (var (key, bounds) in AppHostCommandLine.Bounds)
        {
            AppHostCommandLine.ReadBounded(key, _host.Configuration[key], bounds.Min);
        }

        _host.Logging.ClearProviders();
        _host.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss ";
        });
        _host.Logging.AddFilter("Microsoft", LogLevel.Warning);
        _host.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(60));
        DistributedApplication.BuilderHook.Value?.Invoke(this);
    }

    public string[] Arguments { get; }

    public ConfigurationManager Configuration => _host.Configuration;

    public IHostEnvironment Environment => _host.Environment;

    public string AppHostDirectory => Paths.AppHostDirectory;

    public AppHostPaths Paths { get; }

    public DistributedApplicationExecutionContext ExecutionContext { get; }

    public IReadOnlyList<IResource> Resources => _resources;

    /// <summary>Where console output goes; tests send it elsewhere.</summary>
    public TextWriter Output { get; set; } = Console.Out;

    public IResourceBuilder<T> AddResource<T>(T resource) where T : IResource
    {
        if (_resources.Any(existing => string.Equals(existing.Name, resource.Name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new InvalidOperationException($"A resource named '{resource.Name}' already exists.");
        }

        _resources.Add(resource);
        return new ResourceBuilder<T>(this, resource);
    }

    /// <summary>
    /// A value from configuration (<c>Parameters:{name}</c>); a secret one without configuration is
    /// generated on the first run and kept in the state folder's secrets.
    /// </summary>
    public IResourceBuilder<ParameterResource> AddParameter(string name, bool secret = false)
    {
        var configured = Configuration[$"Parameters:{name}"];
        if (configured is not null)
        {
            return AddResource(new ParameterResource(name, configured, secret, secretFile: null));
        }

        if (!secret)
        {
            throw new AppHostUsageException($"parameter '{name}' has no value; set Parameters:{name}.");
        }

        // Publishing writes a reference to the parameter, never its value: nothing is generated or stored.
        if (ExecutionContext.IsPublishMode)
        {
            return AddResource(new ParameterResource(name, "", secret, secretFile: null));
        }

        var (value, file) = Paths.GetOrCreateSecret(name);
        return AddResource(new ParameterResource(name, value, secret, file));
    }

    public DistributedApplication Build()
    {
        if (ExecutionContext.IsPublishMode)
        {
            if (DashboardWiring.IsEnabled(Configuration) && !_resources.Any(resource => resource is ProjectResource { IsDashboard: true }))
            {
                DashboardWiring.AddDashboardForPublishing(this);
            }

            var publishedModel = new AppModel(_resources.ToList());
            _host.Services.AddSingleton(publishedModel);
            _host.Services.AddSingleton(Paths);
            var published = new DistributedApplication(_host.Build(), AppPublishers.Create(ExecutionContext, publishedModel, Paths));
            DistributedApplication.OnBuilt(published);
            return published;
        }

        if (DashboardWiring.IsEnabled(Configuration) && !_resources.Any(resource => resource is ProjectResource { IsDashboard: true }))
        {
            var (_, otlp, resourceService) = DashboardWiring.AddDashboard(this);
            _host.Services.AddSingleton(otlp);
            _host.Services.AddSingleton(resourceService);
            _host.Services.AddHostedService<ResourceServiceHost>();
        }

        var model = new AppModel(_resources.ToList());
        _host.Services.AddSingleton(model);
        _host.Services.AddSingleton(Paths);
        _host.Services.AddSingleton(new ConsoleReporter(Output));
        _host.Services.AddSingleton<AppHostStateFile>();
        _host.Services.AddSingleton<Orchestrator>();
        _host.Services.AddHostedService(services => services.GetRequiredService<Orchestrator>());
        var application = new DistributedApplication(_host.Build());
        DistributedApplication.OnBuilt(application);
        return application;
    }
}

/// <summary>The resources, in the order Program.cs declared them.</summary>
public sealed record AppModel(IReadOnlyList<IResource> Resources);
