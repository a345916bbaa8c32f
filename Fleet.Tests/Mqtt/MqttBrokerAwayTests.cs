using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Mqtt;

/// <summary>An api whose broker does not answer: HTTP goes on, registration refuses cleanly, health says degraded.</summary>
public sealed class MqttBrokerAwayTests(BackingServers servers)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Registration_is_refused_with_a_problem_and_nothing_is_kept_while_health_reports_the_collector_degraded()
    {
        await using var api = await ApiFactory.StartAsync(servers, Cancellation, new Dictionary<string, string?>
        {
            // Port 9 (discard) on loopback: nothing listens, every connection is refused at once.
            ["ConnectionStrings:mqtt"] = "Host=127.0.0.1;Port=9;Username=fleet-admin;Password=not-a-broker",
            ["Fleet:Mqtt:RetryDelay"] = "00:00:00.200",
        });
        using var http = api.CreateClient();
        var serial = $"MQTT-AWAY-{Guid.NewGuid():N}";

        using var refused = await http.PostAsJsonAsync(FleetHttp.RegisterRoute, DeviceClient.Registration(serial), Cancellation);

        refused.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        refused.Headers.RetryAfter.ShouldNotBeNull();
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        problem.GetProperty("title").GetString().ShouldBe("MQTT broker unavailable");
        var devices = await http.GetAsOperatorAsync<PagedList<DeviceSummary>>($"{FleetHttp.DevicesRoute}?q={serial}", Cancellation);
        devices!.Total.ShouldBe(0, "the registry's transaction was rolled back");

        using var health = await http.GetAsync("/health", Cancellation);
        health.StatusCode.ShouldBe(HttpStatusCode.OK);
        var report = await health.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        report.GetProperty("entries").GetProperty("mqtt-collector").GetProperty("status").GetString().ShouldBe("Degraded");
    }
}
