using System.Diagnostics;
using System.Reflection;
using Fleet.AppHost.Hosting;

namespace Fleet.Tests.Api;

/// <summary>A setting out of its range stops the API at start with one line naming it and its range, and a non-zero exit code.</summary>
public sealed class BadSettingTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("Fleet__Telemetry__RequestsPerDevicePerMinute", "1000000", "Fleet:Telemetry:RequestsPerDevicePerMinute", "1 and 100000")]
    [InlineData("Fleet__HeartbeatMirrorInterval", "01:00:00", "Fleet:HeartbeatMirrorInterval", "00:00:00.0500000 and 00:10:00")]
    public async Task The_API_prints_one_line_naming_the_setting_and_its_range_and_exits_non_zero(string variable, string value, string setting, string range)
    {
        var (exitCode, output) = await RunApiAsync(variable, value);

        exitCode.ShouldBe(2, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines.Length.ShouldBe(1, output);
        lines[0].ShouldContain(setting);
        lines[0].ShouldContain(range);
    }

    private static async Task<(int ExitCode, string Output)> RunApiAsync(string variable, string value)
    {
        var configuration = typeof(BadSettingTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var apiDll = Path.Combine(AppHostPaths.FindRepositoryRoot(), "Fleet.Api", "bin", configuration, "net10.0", "Fleet.Api.dll");
        var startInfo = new ProcessStartInfo("dotnet", [apiDll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Nothing answers on these: the settings are checked before anything connects.
        startInfo.Environment["ConnectionStrings__fleetdb"] = "Host=127.0.0.1;Port=9;Database=none;Username=none;Password=none";
        startInfo.Environment["ConnectionStrings__cache"] = "127.0.0.1:9,abortConnect=false";
        startInfo.Environment["Fleet__OperatorToken"] = "operator-token-0123456789";
        startInfo.Environment["Fleet__EnrollmentToken"] = "enrollment-token-0123456789";
        startInfo.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        startInfo.Environment["OTEL_SDK_DISABLED"] = "true";
        startInfo.Environment[variable] = value;
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync(Cancellation);
        var error = process.StandardError.ReadToEndAsync(Cancellation);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        deadline.CancelAfter(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output + await error);
    }
}
