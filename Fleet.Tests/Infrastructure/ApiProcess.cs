using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace Fleet.Tests.Infrastructure;

/// <summary>
/// Fleet.Api as a process of its own (the built Fleet.Api.dll), configured as <see cref="ApiFactory"/> configures an api
/// in the test process, for what an in-process api cannot do: be killed with SIGKILL.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ApiProcess(Process process, Uri url) => (_process, Url) = (process, url);

    public Uri Url { get; }

    /// <summary>What the api wrote, for a failing test's message.</summary>
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

    public static async Task<ApiProcess> StartAsync(
        string database, string redis, IReadOnlyDictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        var configuration = typeof(ApiProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dll = Path.Combine(Fleet.AppHost.StateFolder.FindRepositoryRoot(), "Fleet.Api", "bin", configuration, "net10.0", "Fleet.Api.dll");
        var url = new Uri($"http://127.0.0.1:{FreePort()}");
        var startInfo = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in ApiFactory.Settings(database, redis).Concat(settings))
        {
            startInfo.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        startInfo.Environment["ASPNETCORE_URLS"] = url.ToString();
        startInfo.Environment["OTEL_SDK_DISABLED"] = "true";
        var api = new ApiProcess(Process.Start(startInfo)!, url);
        api._process.OutputDataReceived += (_, line) => api.Append(line.Data);
        api._process.ErrorDataReceived += (_, line) => api.Append(line.Data);
        api._process.BeginOutputReadLine();
        api._process.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = url };
        await Eventually.TrueAsync(async () =>
        {
            if (api._process.HasExited)
            {
                throw new InvalidOperationException($"The api exited with {api._process.ExitCode}:\n{api.Output}");
            }

            try
            {
                return (await http.GetAsync("/health", cancellationToken)).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(90), "the api process to report healthy", cancellationToken);
        return api;
    }

    /// <summary>SIGKILL: no shutdown, nothing in hand is finished or acknowledged.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
