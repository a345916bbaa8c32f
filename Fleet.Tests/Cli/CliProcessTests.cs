using System.Diagnostics;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Cli;

/// <summary>The built tool as a process: its Program reads the real environment, XDG_CONFIG_HOME and the console.</summary>
public sealed class CliProcessTests : IDisposable
{
    private readonly string _root = TestDirectories.Create("cli-process");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private async Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args)
    {
        var startInfo = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "fleet.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        startInfo.Environment["XDG_CONFIG_HOME"] = Path.Combine(_root, "config");
        startInfo.Environment.Remove("FLEET_URL");
        startInfo.Environment.Remove("FLEET_TOKEN");
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync(Cancellation);
        var error = process.StandardError.ReadToEndAsync(Cancellation);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        deadline.CancelAfter(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task The_tool_prints_help_asks_for_a_login_and_reads_its_login_from_XDG_CONFIG_HOME()
    {
        var help = await RunAsync("--help");
        help.ExitCode.ShouldBe(0, help.Error);
        help.Out.ShouldContain("rollout");

        var notSignedIn = await RunAsync("whoami");
        notSignedIn.ExitCode.ShouldBe(2, notSignedIn.Error);
        notSignedIn.Error.ShouldContain("fleet login");

        Directory.CreateDirectory(Path.Combine(_root, "config", "fleet"));
        await File.WriteAllTextAsync(Path.Combine(_root, "config", "fleet", "config.json"), """{"url":"http://127.0.0.1:9","token":"fleet_pat_x"}""", Cancellation);
        var unreachable = await RunAsync("whoami");
        unreachable.ExitCode.ShouldBe(1, unreachable.Error);
        unreachable.Error.ShouldContain("Cannot reach http://127.0.0.1:9/");
    }

    public void Dispose() => TestDirectories.Delete(_root);
}
