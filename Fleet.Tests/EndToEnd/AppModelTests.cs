using System.Text.RegularExpressions;
using Fleet.AppHost.Hosting.Orchestration;
using Fleet.AppHost.Hosting.Provisioning;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.EndToEnd;

/// <summary>The AppHost's own Program.cs, built and started in the test process (the Aspire.Hosting.Testing way).</summary>
[Collection(WholeAppTests.Name)]
public sealed class AppModelTests : IDisposable
{
    private readonly string _stateDirectory = TestDirectories.Create("appmodel");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Api_replicas_run_healthy_web_reaches_them_through_service_discovery_and_a_crashed_replica_restarts()
    {
        await using var app = await FleetAppHost.StartInProcessAsync(_stateDirectory, ["--api-replicas", "2", "--devices", "2"], Cancellation);

        var api = app.GetResource("api");
        api.Urls.Count.ShouldBe(2);
        api.ProcessIds.Count.ShouldBe(2);
        using var http = new HttpClient();
        foreach (var url in api.Urls)
        {
            (await http.GetAsync($"{url}/health", Cancellation)).IsSuccessStatusCode.ShouldBeTrue();
        }

        // The overview page is prerendered on the server: it shows what web fetched from api (via http://api).
        // Prerendering gives the stats call a few seconds; on a loaded machine a first render may show "—", so render again.
        using var web = app.CreateHttpClient("web");
        var page = await Eventually.GetAsync(
            async () => await web.GetStringAsync("/", Cancellation) is var html && Regex.IsMatch(html, "data-testid=\"fleet-total\"[^>]*>[0-9]+<") ? html : null,
            TimeSpan.FromSeconds(60), "the overview to show the device count, which it does only when the operator token reached the API", Cancellation);
        page.ShouldContain("data-testid=\"health-api-status\"");
        page.ShouldNotContain("data-testid=\"api-unreachable\"");

        app.GetConnectionString("fleetdb").ShouldContain("Database=fleetdb");

        // A replica that crashes is restarted (with backoff) and comes back healthy under a new process.
        var crashed = api.ProcessIds[1];
        Posix.Signal(crashed, Posix.SIGKILL);
        var restarted = await Eventually.GetAsync(
            () => Task.FromResult(app.GetResource("api") is { Restarts: >= 1, State: ResourceState.Healthy, ProcessIds.Count: 2 } now && !now.ProcessIds.Contains(crashed) ? now : null),
            TimeSpan.FromSeconds(60), "the killed api replica to be restarted and healthy", Cancellation);
        restarted.ProcessIds[0].ShouldBe(api.ProcessIds[0]);
    }

    public void Dispose() => TestDirectories.Delete(_stateDirectory);
}
