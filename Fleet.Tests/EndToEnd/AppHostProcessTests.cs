using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.AppHost.Hosting.Orchestration;
using Fleet.AppHost.Hosting.Provisioning;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.EndToEnd;

[Collection(WholeAppTests.Name)]
public sealed class AppHostProcessTests : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly string _stateDirectory = TestDirectories.Create("apphost");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Whole_app_comes_up_devices_call_in_and_SIGTERM_leaves_no_process_behind()
    {
        using var appHost = FleetAppHost.StartProcess(_stateDirectory, "--devices", "5");
        var state = await appHost.WaitUntilHealthyAsync(StartTimeout, Cancellation);

        state.Resources.Select(resource => resource.Name).ShouldBe(
            ["operator-token", "enrollment-token", "cache", "postgres", "fleetdb", "api", "web", "devices", "otlp-api-key", "dashboard"], ignoreOrder: true);
        state.Resources.Single(resource => resource.Name == "cache").Mode.ShouldBe("local");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var devicesUrl = FleetAppHost.Url(state, "devices");
        var simulator = await Eventually.GetAsync(
            async () => await http.GetFromJsonAsync<SimulatorStatus>($"{devicesUrl}/status", Cancellation) is { Registered: 5, HeartbeatsSent: >= 5 } status ? status : null,
            TimeSpan.FromMinutes(1), "5 simulated devices to register and send heartbeats", Cancellation);
        simulator.Devices.ShouldBe(5);
        // The simulator keeps its keys in the AppHost's state folder, readable by its owner only.
        var identities = Path.Combine(_stateDirectory, "simulator", "devices.json");
        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(identities)), TimeSpan.FromSeconds(30), "the simulator's identity file in the state folder", Cancellation);
        File.GetUnixFileMode(identities).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);

        using var stats = new HttpRequestMessage(HttpMethod.Get, $"{FleetAppHost.Url(state, "api")}{FleetHttp.FleetStatsRoute}");
        stats.Headers.Authorization = new AuthenticationHeaderValue("Bearer", FleetAppHost.ReadSecret(state, "operator-token"));
        using var statsResponse = await http.SendAsync(stats, Cancellation);
        var fleet = await statsResponse.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<FleetStatsResponse>(Cancellation);
        fleet!.Total.ShouldBe(5);
        fleet.SeenRecently.ShouldBe(5);

        (await http.GetAsync($"{FleetAppHost.Url(state, "web")}/health", Cancellation)).IsSuccessStatusCode.ShouldBeTrue();

        // Telemetry from every simulated device is in PostgreSQL (the connection string is in the state folder).
        var fleetdb = File.ReadAllText(state.Resources.Single(resource => resource.Name == "fleetdb").ConnectionStringFile!);
        await Eventually.TrueAsync(
            async () => await ScalarAsync<long>(fleetdb, "SELECT count(DISTINCT device_id) FROM telemetry") == 5,
            TimeSpan.FromMinutes(1), "telemetry from all 5 devices in PostgreSQL", Cancellation);

        var ourProcesses = ProcessTree.Descendants(appHost.Process.Id);
        foreach (var pid in state.Resources.SelectMany(resource => resource.ProcessIds))
        {
            ourProcesses.ShouldContain(pid);
        }

        Posix.Signal(appHost.Process.Id, Posix.SIGTERM);
        using (var exitDeadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation))
        {
            exitDeadline.CancelAfter(TimeSpan.FromSeconds(90));
            await appHost.Process.WaitForExitAsync(exitDeadline.Token);
        }

        appHost.Process.ExitCode.ShouldBe(0, appHost.Output);
        ourProcesses.Where(ProcessTree.IsRunning).ShouldBeEmpty();
        var final = AppHostState.Read(appHost.StateFile)!;
        final.Running.ShouldBeFalse();
        final.Resources.Where(resource => resource.Kind != "parameter").ShouldAllBe(resource => resource.State == ResourceState.Stopped);
    }

    [Theory]
    [InlineData("--devices", "lots")]
    [InlineData("--devices", "0")]
    [InlineData("--no-such-option", "1")]
    public async Task Bad_options_print_one_line_and_exit_with_code_2(string option, string value)
    {
        using var appHost = FleetAppHost.StartProcess(_stateDirectory, option, value);
        await appHost.Process.WaitForExitAsync(Cancellation);

        appHost.Process.ExitCode.ShouldBe(2);
        appHost.Output.Trim().Split('\n').Length.ShouldBe(1);
        appHost.Output.ShouldContain(option);
        File.Exists(appHost.StateFile).ShouldBeFalse();
    }

    [Fact]
    public async Task Without_server_binaries_or_container_engine_it_names_the_fix_and_leaves_nothing_running()
    {
        using var appHost = FleetAppHost.StartProcess(_stateDirectory,
            "--Fleet:Redis:BinDirectory=/nonexistent", "--Fleet:Postgres:BinDirectory=/nonexistent", "--Fleet:ContainerRuntime=none");
        using (var exitDeadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation))
        {
            exitDeadline.CancelAfter(TimeSpan.FromSeconds(60));
            await appHost.Process.WaitForExitAsync(exitDeadline.Token);
        }

        appHost.Process.ExitCode.ShouldBe(1);
        appHost.Output.ShouldContain("apt-get install -y postgresql redis-server");
        appHost.Output.ShouldContain("ConnectionStrings__cache");
        var final = AppHostState.Read(appHost.StateFile)!;
        final.Running.ShouldBeFalse();
        final.Resources.SelectMany(resource => resource.ProcessIds).ShouldBeEmpty();
    }


    public void Dispose() => TestDirectories.Delete(_stateDirectory);

    private static Task<T> ScalarAsync<T>(string connectionString, string sql) => Sql.ScalarAsync<T>(connectionString, sql, Cancellation);

    private sealed record SimulatorStatus(int Devices, int Registered, long HeartbeatsSent, long HeartbeatFailures);
}
