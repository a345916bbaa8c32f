using System.Diagnostics;
using System.Reflection;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Fleet.AppHost;
using Fleet.AppHost.Running;

namespace Fleet.Tests.Infrastructure;

/// <summary>
/// The whole app for end-to-end tests: Fleet.AppHost's own Program.cs started in the test process through
/// Aspire.Hosting.Testing (<see cref="StartAsync"/>), or the built AppHost as a process for tests that signal it
/// (<see cref="StartProcess(string, string[])"/>). Both are ready when apphost.json says so.
/// </summary>
public static class FleetAppHost
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <param name="settings">
    /// Configuration for the AppHost, as environment-style keys (<c>Fleet__Status__SweepInterval</c>); the AppHost hands
    /// every <c>Fleet:*</c> key to the services.
    /// </param>
    public static async Task<RunningAppHost> StartAsync(string stateDirectory, IEnumerable<string> args, IReadOnlyDictionary<string, string>? settings, CancellationToken cancellationToken)
    {
        string[] arguments = [$"--state-dir={stateDirectory}", .. args, .. (settings ?? new Dictionary<string, string>()).Select(setting => $"--{setting.Key.Replace("__", ":", StringComparison.Ordinal)}={setting.Value}")];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Fleet_AppHost>(arguments, cancellationToken);
        var app = await builder.BuildAsync(cancellationToken);
        var running = new RunningAppHost(app, stateDirectory);
        try
        {
            await app.StartAsync(cancellationToken);
            await running.WaitUntilReadyAsync(StartTimeout, cancellationToken);
            return running;
        }
        catch
        {
            await running.DisposeAsync();
            throw;
        }
    }

    /// <summary>The built AppHost, run the way `dotnet run` runs it, with its console captured.</summary>
    public static AppHostProcess StartProcess(string stateDirectory, params string[] args)
    {
        var configuration = typeof(FleetAppHost).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var appHostDll = Path.Combine(StateFolder.FindRepositoryRoot(), "Fleet.AppHost", "bin", configuration, "net10.0", "Fleet.AppHost.dll");
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.Combine(StateFolder.FindRepositoryRoot(), "Fleet.AppHost"),
        };
        // What the http launch profile gives `dotnet run`: no HTTPS certificate is needed for the dashboard.
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        startInfo.Environment["DOTNET_ENVIRONMENT"] = "Development";
        startInfo.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        startInfo.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = "http://127.0.0.1:0";
        startInfo.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = "http://127.0.0.1:0";
        startInfo.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        foreach (var argument in new[] { appHostDll, "--state-dir", stateDirectory }.Concat(args))
        {
            startInfo.ArgumentList.Add(argument);
        }

        return new AppHostProcess(Process.Start(startInfo)!, StateFolder.StateFile(stateDirectory));
    }

    public static string ReadSecret(AppHostState state, string name) => File.ReadAllText(state.Secrets[name]).Trim();

    /// <summary>The first admin's password (user <c>admin</c>), as the AppHost generated it.</summary>
    public static string AdminPassword(AppHostState state) => ReadSecret(state, FleetResources.AdminPassword);

    /// <summary>The bearer token the simulator's <c>/faults</c> API demands.</summary>
    public static string SimulatorToken(AppHostState state) => ReadSecret(state, FleetResources.SimulatorToken);

    /// <summary>A client on the simulator carrying its token, for <c>/faults</c>.</summary>
    public static HttpClient SimulatorApi(AppHostState state, TimeSpan timeout)
    {
        var simulator = new HttpClient { BaseAddress = new Uri(Url(state, FleetResources.Devices)), Timeout = timeout };
        simulator.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", SimulatorToken(state));
        return simulator;
    }

    /// <summary>A resource's URL as apphost.json has it (a replicated project's shared endpoint).</summary>
    public static string Url(AppHostState state, string resource) => state.Resource(resource).Urls[0];

    /// <summary>A client on the api (its shared endpoint) carrying the operator token the AppHost generated.</summary>
    public static HttpClient OperatorApi(AppHostState state, TimeSpan timeout) => OperatorClient(Url(state, "api"), state, timeout);

    /// <summary>A client on one api replica itself, bypassing the shared endpoint.</summary>
    public static HttpClient OperatorApi(AppHostState state, TimeSpan timeout, int replica) =>
        OperatorClient(state.Resource("api").Replicas[replica].Url ?? throw new InvalidOperationException("The replica has no address yet."), state, timeout);

    private static HttpClient OperatorClient(string url, AppHostState state, TimeSpan timeout)
    {
        var api = new HttpClient { BaseAddress = new Uri(url), Timeout = timeout };
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            Fleet.Contracts.FleetHttp.OperatorAuthScheme, ReadSecret(state, "operator-token"));
        return api;
    }

    /// <summary>Polls apphost.json until the app is ready; fails early if <paramref name="exited"/> says the AppHost is gone.</summary>
    internal static Task<AppHostState> WaitUntilReadyAsync(string stateFile, TimeSpan timeout, Func<string?> exited, CancellationToken cancellationToken) =>
        Eventually.GetAsync(
            () => exited() is { } why ? throw new InvalidOperationException(why) : Task.FromResult(AppHostState.Read(stateFile) is { Ready: true } state ? state : null),
            timeout,
            "every resource to be running and healthy",
            cancellationToken);
}

/// <summary>The app started in the test process; disposing it stops every resource.</summary>
public sealed class RunningAppHost(DistributedApplication app, string stateDirectory) : IAsyncDisposable
{
    public DistributedApplication App { get; } = app;

    public string StateFile { get; } = StateFolder.StateFile(stateDirectory);

    public AppHostState State => AppHostState.Read(StateFile) ?? throw new InvalidOperationException($"{StateFile} is missing.");

    public Task<AppHostState> WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        FleetAppHost.WaitUntilReadyAsync(StateFile, timeout, () => null, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await App.StopAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await App.DisposeAsync();
    }
}

public sealed class AppHostProcess : IDisposable
{
    private readonly StringBuilder _output = new();

    public AppHostProcess(Process process, string stateFile)
    {
        Process = process;
        StateFile = stateFile;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public string StateFile { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public Task<AppHostState> WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        FleetAppHost.WaitUntilReadyAsync(StateFile, timeout, () => Process.HasExited ? $"The AppHost exited with code {Process.ExitCode}:\n{Output}" : null, cancellationToken);

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }

        Process.Dispose();
    }
}
