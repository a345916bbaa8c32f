using System.Net;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Firmware;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Alerts;

/// <summary>
/// battery_degradation end to end through the API, with a one-second rate window: a device draining far faster than
/// others of its type opens an alert, its peers do not, and the alert resolves once its drain is back to normal.
/// </summary>
public sealed class BatteryDegradationTests(BatteryDegradationTests.Fixture fixture) : IClassFixture<BatteryDegradationTests.Fixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_device_draining_far_faster_than_its_type_opens_an_alert_that_resolves_when_it_recovers()
    {
        var http = fixture.Api.CreateClient().AsOperator();
        var type = $"drain-{Guid.NewGuid():N}"[..20];
        using var created = await http.PostAsJsonAsync("/api/v1/alert-rules",
            new AlertRuleRequest("Battery wear", "battery_degradation", "warning", new AlertScope(Types: [type]), Value: 3), Cancellation);
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var rule = (await created.Content.ReadFromJsonAsync<AlertRuleResponse>(Cancellation))!;
        rule.Value.ShouldBe(3);
        var devices = new List<RegisterDeviceResponse>();
        for (var i = 0; i < 4; i++)
        {
            using var registered = await http.PostAsJsonAsync(FleetHttp.RegisterRoute, DeviceClient.Registration($"BD-{Guid.NewGuid():N}") with { Type = type }, Cancellation);
            devices.Add((await registered.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RegisterDeviceResponse>(Cancellation))!);
        }

        var failing = devices[0];
        var battery = 99.0;
        AlertResponse? opened = null;
        await Eventually.TrueAsync(async () =>
        {
            // Peers hold their charge; the failing device loses two points between heartbeats.
            battery = Math.Max(5, battery - 2);
            foreach (var device in devices)
            {
                await HeartbeatAsync(http, device.DeviceKey, device == failing ? battery : 90);
            }

            var alerts = await http.GetFromJsonAsync<AlertListResponse>($"/api/v1/alerts?ruleId={rule.Id}&state=open", Cancellation);
            opened = alerts!.Items.Count > 0 ? alerts.Items[0] : null;
            return opened is not null;
        }, TimeSpan.FromSeconds(30), "a battery degradation alert", Cancellation);

        opened!.DeviceId.ShouldBe(failing.DeviceId);
        opened.Message.ShouldContain("battery draining at");
        (await http.GetFromJsonAsync<AlertListResponse>($"/api/v1/alerts?ruleId={rule.Id}", Cancellation))!.Total.ShouldBe(1, "its peers drain normally");

        await Eventually.TrueAsync(async () =>
        {
            foreach (var device in devices)
            {
                await HeartbeatAsync(http, device.DeviceKey, device == failing ? battery : 90);
            }

            var alerts = await http.GetFromJsonAsync<AlertListResponse>($"/api/v1/alerts?ruleId={rule.Id}&state=resolved", Cancellation);
            return alerts!.Items.Any(a => a.Id == opened.Id);
        }, TimeSpan.FromSeconds(30), "the alert to resolve once the drain stops", Cancellation);
    }

    private static async Task HeartbeatAsync(HttpClient http, string key, double battery)
    {
        using var response = await http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, key, JsonContent.Create(new HeartbeatRequest(battery, -60, "1.0.0", "A", 10)), Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    /// <summary>An API whose rate window is one second and whose drain norm needs three devices.</summary>
    public sealed class Fixture(BackingServers servers) : IAsyncLifetime
    {
        public ApiFactory Api { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Api = await ApiFactory.StartAsync(servers, TestContext.Current.CancellationToken,
            new Dictionary<string, string?> { ["Fleet:Alerts:RateWindow"] = "00:00:01", ["Fleet:Alerts:MinimumDevicesForNorm"] = "3" });

        public async ValueTask DisposeAsync() => await Api.DisposeAsync();
    }
}
