using System.Diagnostics;
using System.Reflection;
using System.Text;
using Fleet.AppHost.Hosting;
using Fleet.AppHost.Hosting.Orchestration;

namespace Fleet.Tests.Infrastructure;

/// <summary>
/// Our counterpart of Aspire.Hosting.Testing: builds Fleet.AppHost's own app model (its Program.cs) in the
/// test process, starts it, and hands out HttpClients by resource name. Also runs the AppHost as a
/// separate process for tests that need to signal it.
/// </summary>
public static class FleetAppHost
{
    public static async Task<DistributedApplication> StartInProcessAsync(string stateDirectory, IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var app = await DistributedApplication.BuildFromEntryPointAsync(
            ["--state-dir", stateDirectory, .. args],
            builder => builder.Output = TextWriter.Null);
        try
        {
            await app.StartAsync(cancellationToken);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>The built AppHost, run the way `dotnet run` runs it, with its console captured.</summary>
    public static AppHostProcess StartProcess(string stateDirectory, params string[] args) =>
        StartProcess(stateDirectory, new Dictionary<string, string>(), args);

    /// <summary>As above, with environment variables for the AppHost, which its children inherit.</summary>
    public static AppHostProcess StartProcess(string stateDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var configuration = typeof(FleetAppHost).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var appHostDll = Path.Combine(AppHostPaths.FindRepositoryRoot(), "Fleet.AppHost", "bin", configuration, "net10.0", "Fleet.AppHost.dll");
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { appHostDll, "--state-dir", stateDirectory }.Concat(args))
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        return new AppHostProcess(Process.Start(startInfo)!, Path.Combine(stateDirectory, "apphost.json"));
    }

    public static string ReadSecret(AppHostState state, string name) => File.ReadAllText(state.Secrets[name]).Trim();

    /// <summary>A resource's first URL, as the AppHost wrote it to its state file.</summary>
    public static string Url(AppHostState state, string resource) => state.Resources.Single(r => r.Name == resource).Urls[0];

    /// <summary>A client on the api's first replica carrying the operator token the AppHost generated.</summary>
    public static HttpClient OperatorApi(AppHostState state, TimeSpan timeout) => OperatorApi(state, timeout, replica: 0);

    /// <summary>A client on one api replica carrying the operator token the AppHost generated.</summary>
    public static HttpClient OperatorApi(AppHostState state, TimeSpan timeout, int replica)
    {
        var api = new HttpClient { BaseAddress = new Uri(state.Resources.Single(r => r.Name == "api").Urls[replica]), Timeout = timeout };
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            Fleet.Contracts.FleetHttp.OperatorAuthScheme, ReadSecret(state, "operator-token"));
        return api;
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

    /// <summary>Waits until apphost.json says every resource is healthy.</summary>
    public Task<AppHostState> WaitUntilHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        Eventually.GetAsync(
            () =>
            {
                if (Process.HasExited)
                {
                    throw new InvalidOperationException($"The AppHost exited with code {Process.ExitCode}:\n{Output}");
                }

                var state = AppHostState.Read(StateFile);
                return Task.FromResult(state is { Running: true } && state.Resources.All(resource => resource.State == ResourceState.Healthy) ? state : null);
            },
            timeout,
            "every resource to be healthy",
            cancellationToken);

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
