using System.Diagnostics;
using System.Reflection;
using Fleet.AppHost;

namespace Fleet.Tests.Publishing;

/// <summary>The built AppHost run as `dotnet run -- --publisher …` runs it: exit code, both output streams and how long it took.</summary>
public sealed record PublishRun(int ExitCode, string Output, string Error, TimeSpan Elapsed)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static string RepositoryRoot => StateFolder.FindRepositoryRoot();

    public static async Task<PublishRun> RunAsync(string stateDirectory, CancellationToken cancellationToken, params string[] args)
    {
        var configuration = typeof(PublishRun).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var appHostDll = Path.Combine(RepositoryRoot, "Fleet.AppHost", "bin", configuration, "net10.0", "Fleet.AppHost.dll");
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot,
        };
        foreach (var argument in new[] { appHostDll, "--state-dir", stateDirectory }.Concat(args))
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Settings a developer's shell may hold would change the published model.
        foreach (var name in startInfo.Environment.Keys.Where(name => name.StartsWith("Fleet__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            startInfo.Environment.Remove(name);
        }

        var started = Stopwatch.StartNew();
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new PublishRun(process.ExitCode, await output, await error, started.Elapsed);
    }
}
