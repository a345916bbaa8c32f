using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.EndToEnd;

/// <summary>The AppHost's own Program.cs, started in the test process through Aspire.Hosting.Testing.</summary>
[Collection(WholeAppTests.Name)]
public sealed class AppModelTests : IDisposable
{
    private static readonly TimeSpan BackWithin = TimeSpan.FromSeconds(30);
    private readonly string _stateDirectory = TestDirectories.Create("appmodel");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Identity_secrets_go_to_the_api_and_migrations_the_issuer_to_the_web_the_faults_token_to_the_simulator_and_no_operator_token_to_the_web()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Fleet_AppHost>([$"--state-dir={_stateDirectory}"], Cancellation);
        var parameters = builder.Resources.OfType<ParameterResource>().ToDictionary(parameter => parameter.Name);
        foreach (var name in new[] { "operator-token", "enrollment-token", "admin-password", "web-client-secret", "simulator-token", "issuer-signing-key" })
        {
            parameters[name].Secret.ShouldBeTrue(name);
        }

        // Values as the manifest names them ({parameter.value}, {resource.bindings.http.url}): run-mode values need running endpoints.
        async Task<Dictionary<string, string>> EnvironmentOf(string project)
        {
            var resource = builder.Resources.Single(resource => resource.Name == project);
            var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), resource, cancellationToken: Cancellation);
            foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
            {
                await callback.Callback(context);
            }

            return context.EnvironmentVariables.ToDictionary(
                variable => variable.Key, variable => variable.Value is IManifestExpressionProvider expression ? expression.ValueExpression : $"{variable.Value}");
        }

        foreach (var issuer in new[] { "api", "migrations" })
        {
            var environment = await EnvironmentOf(issuer);
            environment["Fleet__Identity__AdminPassword"].ShouldBe("{admin-password.value}", issuer);
            environment["Fleet__Identity__ClientSecret"].ShouldBe("{web-client-secret.value}", issuer);
            environment["Fleet__Identity__WebUrl"].ShouldBe("{web.bindings.http.url}", issuer);
            environment["Fleet__Identity__SigningKey"].ShouldBe("{issuer-signing-key.value}", issuer);
        }

        (await EnvironmentOf("api"))["Fleet__OperatorToken"].ShouldBe("{operator-token.value}", "the break-glass credential");
        var web = await EnvironmentOf("web");
        web["Fleet__Identity__Authority"].ShouldBe("{api.bindings.http.url}");
        web["Fleet__Identity__ClientSecret"].ShouldBe("{web-client-secret.value}");
        web.Keys.ShouldNotContain("Fleet__OperatorToken", "the web acts with the signed-in user's tokens only");
        web.Keys.ShouldNotContain("Fleet__Identity__AdminPassword");
        web.Keys.ShouldNotContain("Fleet__Identity__SigningKey");
        (await EnvironmentOf("devices"))["Fleet__Simulator__FaultsToken"].ShouldBe("{simulator-token.value}");
    }

    [Fact]
    public async Task Replicas_serve_web_through_service_discovery_and_killed_servers_the_broker_and_replicas_come_back_without_losing_an_acknowledged_reading()
    {
        await using var appHost = await FleetAppHost.StartAsync(_stateDirectory, ["--api-replicas", "2", "--devices", "2"], null, Cancellation);
        var state = appHost.State;
        state.Resources.Select(resource => resource.Name).ShouldBe(["cache", "postgres", "fleetdb", "mqtt", "migrations", "api", "web", "devices"], ignoreOrder: true);
        var api = state.Resource("api");
        api.Replicas.Count.ShouldBe(2);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var url in api.Replicas.Select(r => r.Url))
        {
            (await http.GetAsync($"{url}/health", Cancellation)).IsSuccessStatusCode.ShouldBeTrue();
        }

        // Signing in goes through the api's shared endpoint, so the login, the code and its redemption may each land on
        // another replica: they agree because every replica has the AppHost's one signing key. The overview page is then
        // prerendered on the server with what the web fetched from the api, through service discovery, as the admin.
        using var web = await IssuerClient.SignedInWebAsync(FleetAppHost.Url(state, "web"), "admin", FleetAppHost.AdminPassword(state), Cancellation);
        await Eventually.TrueAsync(
            async () => Regex.IsMatch(await web.GetStringAsync("/", Cancellation), "data-testid=\"fleet-total\"[^>]*>[0-9]+<"),
            TimeSpan.FromSeconds(60), "the overview to show the device count, which it does only when the admin's token reached the API", Cancellation);
        (await appHost.App.GetConnectionStringAsync("fleetdb", Cancellation) ?? "").ShouldContain("Database=fleetdb");

        // A device keeps sending while Redis, PostgreSQL and one api replica are killed in turn; whatever got a 202 must be stored.
        using var device = new HttpClient { BaseAddress = new Uri(FleetAppHost.Url(state, "api")), Timeout = TimeSpan.FromSeconds(10) };
        var registration = DeviceClient.Registration("KILL-000001") with { EnrollmentToken = FleetAppHost.ReadSecret(state, "enrollment-token") };
        var registered = await device.RegisterDeviceAsync(registration, Cancellation);
        var key = registered.DeviceKey;
        var acknowledged = new ConcurrentBag<long>();
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        var sender = SendUntilStoppedAsync(device, key, acknowledged, stopSending.Token);

        await KillAndWaitForReturnAsync(appHost, "cache", () => appHost.State.Resource("cache").ProcessIds[0]);
        await KillAndWaitForReturnAsync(appHost, "mqtt", () => appHost.State.Resource("mqtt").ProcessIds[0]);
        await KillAndWaitForReturnAsync(appHost, "postgres", () => PostmasterOf(appHost.State.StateDirectory));
        var replica = appHost.State.Resource("api").Replicas[1];
        await KillAndWaitForReturnAsync(appHost, "api", () => replica.ProcessId!.Value);
        await Eventually.TrueAsync(() => Task.FromResult(appHost.State.Resource("api").Replicas.Sum(r => r.Restarts) >= 1),
            BackWithin, "the AppHost to count the replica's restart", Cancellation);

        await Eventually.TrueAsync(() => Task.FromResult(acknowledged.Count >= 20), TimeSpan.FromSeconds(30), "readings acknowledged after the last restart", Cancellation);
        await stopSending.CancelAsync();
        await sender;
        // Unpooled: the AppHost's health checks in this process have pooled connections that died with the killed server.
        var fleetdb = new Npgsql.NpgsqlConnectionStringBuilder(File.ReadAllText(appHost.State.Resource("fleetdb").ConnectionStringFile!)) { Pooling = false }.ConnectionString;
        var stored = await Sql.ScalarAsync<long[]>(fleetdb, "SELECT coalesce(array_agg(seq), '{}') FROM telemetry WHERE device_id = $1", Cancellation, registered.DeviceId);
        acknowledged.Except(stored).ShouldBeEmpty("every acknowledged reading is stored");
    }

    /// <summary>SIGKILLs the process, then waits until a new process serves the resource and the app is ready again.</summary>
    private static async Task KillAndWaitForReturnAsync(RunningAppHost appHost, string resource, Func<int> victim)
    {
        var before = appHost.State.Resource(resource).ProcessIds;
        var pid = victim();
        Posix.Signal(pid, Posix.SIGKILL).ShouldBeTrue();
        await Eventually.TrueAsync(
            () => Task.FromResult(appHost.State is { Ready: true } state && state.Resource(resource).ProcessIds is { Count: > 0 } now && !now.SequenceEqual(before)),
            BackWithin, $"{resource} to be back and healthy after kill -9 of pid {pid}", Cancellation);
    }

    private static int PostmasterOf(string stateDirectory)
    {
        var pidFile = Directory.GetFiles(stateDirectory, "postmaster.pid", SearchOption.AllDirectories).Single();
        return int.Parse(File.ReadLines(pidFile).First(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Sends one reading at a time with rising seqs; keeps the seqs that were answered 202.</summary>
    private static async Task SendUntilStoppedAsync(HttpClient device, string key, ConcurrentBag<long> acknowledged, CancellationToken stop)
    {
        for (long seq = 1; !stop.IsCancellationRequested; seq++)
        {
            try
            {
                if (await device.SendReadingAsync(key, seq, stop) == HttpStatusCode.Accepted)
                {
                    acknowledged.Add(seq);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // The api replica that had this connection was killed: the next reading goes to whichever answers.
            }

            try
            {
                await Task.Delay(50, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public void Dispose() => TestDirectories.Delete(_stateDirectory);
}
