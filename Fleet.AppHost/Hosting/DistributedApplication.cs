using Fleet.AppHost.Hosting.Orchestration;
using Fleet.AppHost.Publishing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fleet.AppHost.Hosting;

/// <summary>The built app model: <see cref="Run"/> starts every resource and keeps them until Ctrl+C or SIGTERM.</summary>
public sealed class DistributedApplication(IHost host, IAppPublisher? publisher = null) : IAsyncDisposable
{
    private static readonly AsyncLocal<Action<DistributedApplication>?> BuiltHook = new();

    public IServiceProvider Services => host.Services;

    private Orchestrator Orchestrator => host.Services.GetRequiredService<Orchestrator>();

    /// <summary>
    /// The front door of Program.cs. Bad options print one line and exit with code 2, before anything starts.
    /// </summary>
    public static IDistributedApplicationBuilder CreateBuilder(string[] args)
    {
        try
        {
            var commandLine = AppHostCommandLine.Parse(args);
            if (commandLine.Help)
            {
                Console.Out.WriteLine(AppHostCommandLine.Usage);
                Environment.Exit(0);
            }

            return new DistributedApplicationBuilder(commandLine.Configuration, args);
        }
        catch (AppHostUsageException) when (IsIntercepted)
        {
            throw;
        }
        catch (AppHostUsageException exception)
        {
            Console.Error.WriteLine($"Fleet.AppHost: {exception.Message}");
            Environment.Exit(AppHostUsageException.ExitCode);
            throw;
        }
    }

    /// <summary>
    /// Runs Program.cs's app model without running it: the test builder uses this, like Aspire.Hosting.Testing,
    /// to get the built application and start it itself.
    /// </summary>
    public static async Task<DistributedApplication> BuildFromEntryPointAsync(string[] args, Action<DistributedApplicationBuilder>? configure = null)
    {
        var built = new TaskCompletionSource<DistributedApplication>(TaskCreationOptions.RunContinuationsAsynchronously);
        BuiltHook.Value = built.SetResult;
        BuilderHook.Value = configure;
        try
        {
            var entryPoint = typeof(DistributedApplication).Assembly.EntryPoint
                ?? throw new InvalidOperationException("Fleet.AppHost has no entry point.");
            entryPoint.Invoke(null, [args]);
            return await built.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            BuiltHook.Value = null;
            BuilderHook.Value = null;
        }
    }

    internal static readonly AsyncLocal<Action<DistributedApplicationBuilder>?> BuilderHook = new();

    internal static void OnBuilt(DistributedApplication application) => BuiltHook.Value?.Invoke(application);

    private static bool IsIntercepted => BuiltHook.Value is not null;

    public void Run()
    {
        if (IsIntercepted)
        {
            return;
        }

        if (publisher is not null)
        {
            Environment.ExitCode = Publish();
            return;
        }

        host.Run();
    }

    /// <summary>
    /// Publish mode: writes the artefacts and starts nothing. Returns the exit code: 0, or 2 after one line on
    /// standard error when the output path cannot be written (nothing half-written is left behind).
    /// </summary>
    public int Publish()
    {
        if (publisher is null)
        {
            throw new InvalidOperationException("The AppHost was not started with --publisher.");
        }

        try
        {
            var written = publisher.Publish();
            Console.Out.WriteLine($"Fleet.AppHost: {publisher.Name} written to {written}");
            return 0;
        }
        catch (Exception exception) when (exception is AppHostUsageException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Fleet.AppHost: {exception.Message}");
            return AppHostUsageException.ExitCode;
        }
    }

    public Task RunAsync(CancellationToken cancellationToken = default) => IsIntercepted ? Task.CompletedTask : host.RunAsync(cancellationToken);

    /// <summary>Starts every resource and returns once all are healthy; throws if one cannot start.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await host.StartAsync(cancellationToken);
        await Orchestrator.AllReady.WaitAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken = default) => host.StopAsync(cancellationToken);

    /// <summary>What a resource is doing now (state, URLs, process ids).</summary>
    public ResourceSnapshot GetResource(string name) => Orchestrator.Snapshot(name);

    public string GetConnectionString(string name) => Orchestrator.GetConnectionString(name);

    /// <summary>An HttpClient aimed at a project resource's first replica, as Aspire.Hosting.Testing hands out.</summary>
    public HttpClient CreateHttpClient(string resourceName)
    {
        var urls = GetResource(resourceName).Urls;
        var url = urls.Count > 0 ? urls[0] : throw new InvalidOperationException($"Resource '{resourceName}' has no URL.");
        return new HttpClient { BaseAddress = new Uri(url) };
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }
}
