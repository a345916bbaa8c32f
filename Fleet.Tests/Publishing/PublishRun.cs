using System.Diagnostics;
using System.Reflection;
using Fleet.AppHost.Hosting;
using Fleet.AppHost.Publishing;

namespace Fleet.Tests.Publishing;

/// <summary>The built AppHost run as `dotnet run -- --publisher …` runs it: exit code and both output streams.</summary>
public sealed record PublishRun(int ExitCode, string Output, string Error)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static async Task<PublishRun> RunAsync(string stateDirectory, CancellationToken cancellationToken, params string[] args)
    {
        var configuration = typeof(PublishRun).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var appHostDll = Path.Combine(AppHostPaths.FindRepositoryRoot(), "Fleet.AppHost", "bin", configuration, "net10.0", "Fleet.AppHost.dll");
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppHostPaths.FindRepositoryRoot(),
        };
        foreach (var argument in new[] { appHostDll, "--state-dir", stateDirectory }.Concat(args))
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        await process.WaitForExitAsync(deadline.Token);
        return new PublishRun(process.ExitCode, await output, await error);
    }

    /// <summary>The app model Program.cs builds in publish mode, as the publishers read it.</summary>
    public static async Task<PublishedModel> ModelAsync(string stateDirectory, string outputPath)
    {
        await using var app = await DistributedApplication.BuildFromEntryPointAsync(
            ["--state-dir", stateDirectory, "--publisher", AppPublishers.Kustomize, "--output-path", outputPath]);
        return new PublishedModel(
            (AppModel)app.Services.GetService(typeof(AppModel))!,
            (AppHostPaths)app.Services.GetService(typeof(AppHostPaths))!);
    }
}
