using System.Diagnostics;
using System.Reflection;
using Fleet.AppHost;

namespace Fleet.Tests.Api;

/// <summary>A setting out of its range stops a service at start with one line naming it and its range, and exit code 2.</summary>
public sealed class BadSettingTests
{
    private static readonly string SigningKey = Fleet.Api.Identity.IssuerKeys.NewPem();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("Fleet.Api", "Fleet__Telemetry__RequestsPerDevicePerMinute", "1000000", "Fleet:Telemetry:RequestsPerDevicePerMinute", "1 and 100000")]
    [InlineData("Fleet.Api", "Fleet__HeartbeatMirrorInterval", "01:00:00", "Fleet:HeartbeatMirrorInterval", "00:00:00.0500000 and 00:10:00")]
    [InlineData("Fleet.Api", "Fleet__Identity__SigningKey", "not-a-key", "Fleet:Identity:SigningKey", "RSA private key of 2048 bits or more")]
    [InlineData("Fleet.Api", "Fleet__Identity__SigningKey", "", "Fleet:Identity:SigningKey", "left out in Development only")]
    [InlineData("Fleet.Web", "Fleet__Live__Throttle", "01:00:00", "Fleet:Live:Throttle", "00:00:00.0500000 and 00:01:00")]
    [InlineData("Fleet.Web", "Fleet__Identity__ClientSecret", "", "Fleet:Identity:ClientSecret", "is not set")]
    [InlineData("Fleet.DeviceSim", "Fleet__Devices", "0", "Fleet:Devices", "1 and 100000")]
    public async Task A_service_prints_one_line_naming_the_setting_and_its_range_and_exits_with_2(string service, string variable, string value, string setting, string range)
    {
        var (exitCode, output) = await RunAsync(service, variable, value);

        exitCode.ShouldBe(2, output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines.Length.ShouldBe(1, output);
        lines[0].ShouldContain(setting);
        lines[0].ShouldContain(range);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string service, string variable, string value)
    {
        var configuration = typeof(BadSettingTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dll = Path.Combine(StateFolder.FindRepositoryRoot(), service, "bin", configuration, "net10.0", $"{service}.dll");
        var startInfo = new ProcessStartInfo("dotnet", [dll])
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
        startInfo.Environment["services__api__http__0"] = "http://127.0.0.1:9";
        startInfo.Environment["Fleet__Identity__ClientSecret"] = "web-client-secret-0123456789";
        startInfo.Environment["Fleet__Identity__SigningKey"] = SigningKey; // the api runs as Production here: the key is required
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
