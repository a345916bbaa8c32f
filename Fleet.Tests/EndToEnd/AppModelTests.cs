using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.EndToEnd;

/// <summary>The AppHost's own Program.cs, built and started in the test process (the Aspire.Hosting.Testing way).</summary>
[Collection(WholeAppTests.Name)]
public sealed class AppModelTests : IDisposable
{
    private readonly string _stateDirectory = TestDirectories.Create("appmodel");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Api_replicas_each_run_healthy_and_web_reaches_the_api_through_service_discovery()
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

        using var web = app.CreateHttpClient("web");
        var page = await web.GetStringAsync("/", Cancellation);
        page.ShouldContain("Fleet");

        app.GetConnectionString("fleetdb").ShouldContain("Database=fleetdb");
    }

    public void Dispose() => TestDirectories.Delete(_stateDirectory);
}
