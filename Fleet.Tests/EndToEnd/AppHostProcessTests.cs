using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.AppHost.Running;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.EndToEnd;

/// <summary>The built AppHost as `dotnet run` runs it: the Aspire dashboard, the console, SIGTERM, bad options.</summary>
[Collection(WholeAppTests.Name)]
public sealed class AppHostProcessTests : IDisposable
{
    private readonly string _stateDirectory = TestDirectories.Create("apphost");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Whole_app_comes_up_the_dashboard_shows_a_trace_from_devices_through_api_into_PostgreSQL_and_SIGTERM_leaves_no_process_behind()
    {
        using var appHost = FleetAppHost.StartProcess(_stateDirectory, "--devices", "5");
        var state = await appHost.WaitUntilReadyAsync(FleetAppHost.StartTimeout, Cancellation);

        state.Resources.Select(resource => resource.Name).ShouldBe(["cache", "postgres", "fleetdb", "mqtt", "migrations", "api", "web", "devices"], ignoreOrder: true);
        appHost.Output.ShouldContain("Login to the dashboard at http://");
        // The broker is healthy only once it accepts its admin; its connection string is an owner-only file for tools.
        var mqttConnection = state.Resource("mqtt").ConnectionStringFile!;
        File.GetUnixFileMode(mqttConnection).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (await Fleet.AppHost.MqttAdminConnection.TryConnectAsync(File.ReadAllText(mqttConnection), Cancellation)).ShouldBe(MQTTnet.MqttClientConnectResultCode.Success);
        state.Dashboard.ShouldNotBeNull();
        File.ReadAllText(state.Dashboard.LoginUrlFile!).ShouldStartWith(state.Dashboard.Url!);

        // Where to sign in and where the first admin's password is, never the password itself.
        var passwordFile = state.Secrets["admin-password"];
        File.GetUnixFileMode(passwordFile).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await Eventually.TrueAsync(() => Task.FromResult(appHost.Output.Contains("Sign in to the web at http://", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10), "the sign-in line on the console", Cancellation);
        appHost.Output.ShouldContain($"as admin; the password is in {passwordFile}");
        appHost.Output.ShouldNotContain(FleetAppHost.AdminPassword(state));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var stats = new HttpRequestMessage(HttpMethod.Get, $"{FleetAppHost.Url(state, "api")}{FleetHttp.FleetStatsRoute}");
        stats.Headers.Authorization = new AuthenticationHeaderValue("Bearer", FleetAppHost.ReadSecret(state, "operator-token"));
        await Eventually.TrueAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, stats.RequestUri) { Headers = { Authorization = stats.Headers.Authorization } };
            using var response = await http.SendAsync(request, Cancellation);
            return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<FleetStatsResponse>(Cancellation))!.SeenRecently == 5;
        }, TimeSpan.FromMinutes(1), "5 simulated devices registered and heard from", Cancellation);

        // The simulator keeps its keys in the state folder, readable by its owner only.
        var identities = Path.Combine(_stateDirectory, "simulator", "devices.json");
        await Eventually.TrueAsync(() => Task.FromResult(File.Exists(identities)), TimeSpan.FromSeconds(30), "the simulator's identity file in the state folder", Cancellation);
        File.GetUnixFileMode(identities).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (await http.GetAsync($"{FleetAppHost.Url(state, "web")}/health", Cancellation)).IsSuccessStatusCode.ShouldBeTrue();

        // The simulator's faults answer only the token the AppHost generated for it.
        (await http.GetAsync($"{FleetAppHost.Url(state, "devices")}/faults", Cancellation)).StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
        using (var simulator = FleetAppHost.SimulatorApi(state, TimeSpan.FromSeconds(10)))
        {
            (await simulator.GetAsync("/faults", Cancellation)).IsSuccessStatusCode.ShouldBeTrue();
        }

        // The Aspire dashboard's telemetry API (x-api-key): one trace spans the simulator, the api and a PostgreSQL call.
        var apiKey = File.ReadAllText(state.Dashboard.ApiKeyFile!).Trim();
        await Eventually.TrueAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{state.Dashboard.Url}/api/telemetry/traces?limit=200") { Headers = { { "x-api-key", apiKey } } };
            using var response = await http.SendAsync(request, Cancellation);
            return TracesThrough(await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync(Cancellation)).Any(services =>
                services.Contains("devices") && services.Contains("api") && services.Contains("api:postgresql"));
        }, TimeSpan.FromMinutes(1), "a trace from devices through api into PostgreSQL in the dashboard", Cancellation);

        var ourProcesses = ProcessTree.Descendants(appHost.Process.Id);
        var resourceProcesses = state.Resources.SelectMany(resource => resource.ProcessIds).ToList();
        resourceProcesses.ShouldNotBeEmpty();
        Posix.Signal(appHost.Process.Id, Posix.SIGTERM);
        using (var exitDeadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation))
        {
            exitDeadline.CancelAfter(TimeSpan.FromSeconds(90));
            await appHost.Process.WaitForExitAsync(exitDeadline.Token);
        }

        appHost.Process.ExitCode.ShouldBe(0, appHost.Output);
        await Eventually.TrueAsync(() => Task.FromResult(!ourProcesses.Concat(resourceProcesses).Any(ProcessTree.IsRunning)),
            TimeSpan.FromSeconds(45), "no process of the app left (DCP finishes stopping them after the AppHost exits)", Cancellation);
        AppHostState.Read(appHost.StateFile)!.Running.ShouldBeFalse();
        // PostgreSQL got a fast shutdown, not a kill: it removed its postmaster.pid, so the next start needs no recovery.
        File.Exists(Path.Combine(_stateDirectory, "postgres", "data", "postmaster.pid")).ShouldBeFalse();
        File.Exists(Path.Combine(_stateDirectory, "postgres", "data", "PG_VERSION")).ShouldBeTrue();
    }

    [Theory]
    [InlineData("--devices", "lots")]
    [InlineData("--devices", "0")]
    [InlineData("--api-replicas", "0")]
    [InlineData("--no-such-option", "1")]
    [InlineData("--Fleet:BackingServices", "sometimes")]
    public async Task Bad_options_print_one_line_and_exit_with_code_2(string option, string value)
    {
        using var appHost = FleetAppHost.StartProcess(_stateDirectory, option, value);
        await appHost.Process.WaitForExitAsync(Cancellation);

        appHost.Process.ExitCode.ShouldBe(2, appHost.Output);
        appHost.Output.Trim().Split('\n').Length.ShouldBe(1, appHost.Output);
        appHost.Output.ShouldContain(option.Split(':')[^1]);
        File.Exists(appHost.StateFile).ShouldBeFalse();
    }

    [Theory]
    [InlineData("--Fleet:Redis:BinDirectory=/nonexistent", "redis-server was not found")]
    [InlineData("--Fleet:Mqtt:DynamicSecurityPlugin=/nonexistent", "mosquitto_dynamic_security.so was not found")]
    public async Task Without_server_binaries_it_names_the_fix_and_exits(string missing, string message)
    {
        using var appHost = FleetAppHost.StartProcess(_stateDirectory, "--Fleet:BackingServices=local", missing);
        await appHost.Process.WaitForExitAsync(Cancellation);

        appHost.Process.ExitCode.ShouldBe(2, appHost.Output);
        appHost.Output.ShouldContain(message);
        appHost.Output.ShouldContain("apt-get install -y postgresql redis-server mosquitto");
    }

    [Fact]
    public async Task A_failed_PostgreSQL_init_fails_the_app_with_its_message_instead_of_leaving_everything_waiting()
    {
        var binaries = Path.Combine(_stateDirectory, "broken-postgres");
        Directory.CreateDirectory(binaries);
        foreach (var program in new[] { "initdb", "postgres" })
        {
            var script = Path.Combine(binaries, program);
            File.WriteAllText(script, "#!/bin/sh\necho 'initdb: could not create directory: Permission denied' >&2\nexit 1\n");
            File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        }

        using var appHost = FleetAppHost.StartProcess(_stateDirectory, "--no-dashboard", "--Fleet:BackingServices=local", $"--Fleet:Postgres:BinDirectory={binaries}");
        using (var exitDeadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation))
        {
            exitDeadline.CancelAfter(TimeSpan.FromSeconds(90));
            await appHost.Process.WaitForExitAsync(exitDeadline.Token);
        }

        appHost.Process.ExitCode.ShouldBe(1, appHost.Output);
        appHost.Output.ShouldContain("could not create directory: Permission denied");
    }

    /// <summary>Per trace in the dashboard's OTLP JSON: the services in it, and "service:db" for each database call.</summary>
    private static List<HashSet<string>> TracesThrough(string json)
    {
        var traces = new Dictionary<string, HashSet<string>>();
        using var document = JsonDocument.Parse(json);
        foreach (var resource in document.RootElement.GetProperty("data").GetProperty("resourceSpans").EnumerateArray())
        {
            var service = resource.GetProperty("resource").GetProperty("attributes").EnumerateArray()
                .Where(attribute => attribute.GetProperty("key").GetString() == "service.name")
                .Select(attribute => attribute.GetProperty("value").GetProperty("stringValue").GetString()).FirstOrDefault() ?? "";
            foreach (var span in resource.GetProperty("scopeSpans").EnumerateArray().SelectMany(scope => scope.GetProperty("spans").EnumerateArray()))
            {
                var services = traces.TryGetValue(span.GetProperty("traceId").GetString()!, out var existing) ? existing : traces[span.GetProperty("traceId").GetString()!] = [];
                services.Add(service);
                foreach (var attribute in span.TryGetProperty("attributes", out var attributes) ? attributes.EnumerateArray() : default)
                {
                    if (attribute.GetProperty("key").GetString() is "db.system" or "db.system.name")
                    {
                        services.Add($"{service}:{attribute.GetProperty("value").GetProperty("stringValue").GetString()}");
                    }
                }
            }
        }

        return [.. traces.Values];
    }

    public void Dispose() => TestDirectories.Delete(_stateDirectory);
}
