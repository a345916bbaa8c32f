using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Api;

public sealed class ReadinessTests(BackingServers servers)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Health_answers_503_naming_the_database_when_postgres_is_down_instead_of_hanging()
    {
        using var nobodyListens = new TcpListener(IPAddress.Loopback, 0);
        nobodyListens.Start();
        var deadPort = ((IPEndPoint)nobodyListens.LocalEndpoint).Port;
        nobodyListens.Stop();

        await using var api = new ApiFactory($"Host=127.0.0.1;Port={deadPort};Username=postgres;Password=x;Database=fleetdb", servers.RedisConnectionString);
        using var http = api.CreateClient();
        // EF's retry policy would hold a probe for about a minute; a probe must answer well within its caller's timeout.
        http.Timeout = TimeSpan.FromSeconds(15);

        using var response = await http.GetAsync("/health", Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
        var entries = report.RootElement.GetProperty("entries");
        entries.GetProperty(Fleet.Web.Services.FleetOverview.DatabaseCheck).GetProperty("status").GetString().ShouldBe("Unhealthy");
        entries.GetProperty(Fleet.Web.Services.FleetOverview.CacheCheck).GetProperty("status").GetString().ShouldBe("Healthy");
        entries.GetProperty("migrations").GetProperty("status").GetString().ShouldBe("Unhealthy");
    }
}
