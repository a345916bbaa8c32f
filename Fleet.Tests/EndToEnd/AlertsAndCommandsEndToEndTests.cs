using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Models;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.EndToEnd;

/// <summary>
/// Alerts and commands over the whole app: faults injected into the simulator's devices open and resolve alerts, an
/// operator acknowledges one, and commands reach devices over their channel — at once, after a reconnect, or never
/// when their time to live runs out first. One AppHost serves every test; each sets the faults it needs and clears
/// them after.
/// </summary>
[Collection(WholeAppTests.Name)]
public sealed class AlertsAndCommandsEndToEndTests(AlertsAndCommandsApp app) : IClassFixture<AlertsAndCommandsApp>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);
    private static readonly FaultSettings NoFaults = new();
    private static readonly FaultSettings BatteryFault = new() { BatteryFaultPercent = 40 };
    private static readonly FaultSettings OfflineFault = new() { OfflinePercent = 20 };
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_battery_fault_opens_battery_low_alerts_an_operator_acknowledges_and_they_resolve_once_the_fault_is_gone()
    {
        // Primary cells and mains backup batteries count as replaced when the fault clears; rechargeable ones would
        // take minutes of charging to pass 20 %, so the rule watches the first kind only.
        string[] types = [TemperatureHumiditySensor.TypeName, AcPowerMeter.TypeName, DcPowerMeter.TypeName];
        var devices = await app.DevicesAsync();
        var expected = AlertsAndCommandsApp.Hit(BatteryFault, (faults, index) => faults.For(index).BatteryFaulty)
            .Where(serial => types.Contains(devices.Single(d => d.Serial == serial).Type)).ToHashSet();
        expected.ShouldNotBeEmpty("the seed's battery fault hits some sensor or meter");
        var rule = await app.CreateRuleAsync(new AlertRuleRequest("e2e battery low", "battery_low", "warning", new AlertScope(Types: types), ForSeconds: 2));
        try
        {
            await app.SetFaultsAsync(BatteryFault);
            IReadOnlyList<AlertResponse> open = [];
            await Eventually.TrueAsync(async () =>
            {
                open = await app.AlertsAsync(rule.Id);
                return open.Select(a => a.DeviceSerial).ToHashSet().SetEquals(expected);
            }, Patience, "a battery_low alert for each faulty sensor and meter", Cancellation);
            open.ShouldAllBe(a => a.State == "open" && a.Severity == "warning" && a.Value < 20);

            var chosen = open[0];
            using (var acknowledged = await app.Api.PostAsJsonAsync($"/api/v1/alerts/{chosen.Id}/acknowledge",
                       new AlertActionRequest("battery replacement ordered"), Cancellation))
            {
                var alert = (await acknowledged.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<AlertResponse>(Cancellation))!;
                (alert.State, alert.AcknowledgedBy, alert.AcknowledgeNote).ShouldBe(("acknowledged", "break-glass", "battery replacement ordered"));
            }

            using (var again = await app.Api.PostAsJsonAsync($"/api/v1/alerts/{chosen.Id}/acknowledge", new AlertActionRequest(), Cancellation))
            {
                again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
            }

            await app.SetFaultsAsync(NoFaults);
            await Eventually.TrueAsync(async () => (await app.AlertsAsync(rule.Id)).All(a => a.State == "resolved"),
                Patience, "every battery_low alert resolved by the evaluator", Cancellation);
            var resolved = await app.AlertsAsync(rule.Id);
            resolved.Count.ShouldBe(expected.Count, "no alert opened again");
            resolved.ShouldAllBe(a => a.ResolvedBy == "evaluator");
            var history = (await app.Api.GetFromJsonAsync<AlertDetailResponse>($"/api/v1/alerts/{chosen.Id}", Cancellation))!.Transitions;
            history.Select(t => (t.To, t.By)).ShouldBe([("open", "evaluator"), ("acknowledged", "break-glass"), ("resolved", "evaluator")]);
        }
        finally
        {
            await app.SetFaultsAsync(NoFaults);
            await app.DeleteRuleAsync(rule.Id);
        }
    }

    [Fact]
    public async Task Devices_that_stop_reporting_open_offline_connectivity_alerts_that_resolve_when_they_come_back()
    {
        var expected = AlertsAndCommandsApp.Hit(OfflineFault, (faults, index) => faults.IsOffline(index));
        expected.ShouldNotBeEmpty("the seed's offline fault stops some devices");
        var rule = await app.CreateRuleAsync(new AlertRuleRequest("e2e offline", "connectivity", "critical", Status: "offline"));
        try
        {
            await app.SetFaultsAsync(OfflineFault);
            HashSet<string> alerted = [];
            await Eventually.TrueAsync(async () =>
            {
                alerted = (await app.AlertsAsync(rule.Id)).Where(a => a.State == "open").Select(a => a.DeviceSerial!).ToHashSet();
                return alerted.Count >= expected.Count;
            }, Patience, "an offline alert for each stopped device", Cancellation);
            alerted.ShouldBe(expected, ignoreOrder: true);
            (await app.DevicesAsync()).Where(d => d.Status == "offline").Select(d => d.Serial).ShouldBe(expected, ignoreOrder: true);

            await app.SetFaultsAsync(NoFaults);
            await Eventually.TrueAsync(async () => (await app.AlertsAsync(rule.Id)).All(a => a.State == "resolved"),
                Patience, "every offline alert resolved once its device reports again", Cancellation);
            (await app.AlertsAsync(rule.Id)).Count.ShouldBe(expected.Count);
        }
        finally
        {
            await app.SetFaultsAsync(NoFaults);
            await app.DeleteRuleAsync(rule.Id);
        }
    }

    [Fact]
    public async Task Set_interval_of_two_seconds_changes_how_often_a_device_sends_readings()
    {
        // A device no fault of the other tests touches, so its readings have no gap from being held offline.
        var faulted = AlertsAndCommandsApp.Hit(OfflineFault with { BatteryFaultPercent = BatteryFault.BatteryFaultPercent },
            (faults, index) => faults.IsOffline(index) || faults.For(index).BatteryFaulty);
        var device = await app.DeviceAsync(Enumerable.Range(1, AlertsAndCommandsApp.Devices).Select(AlertsAndCommandsApp.Serial).First(s => !faulted.Contains(s)));
        var before = await IntervalAsync(device.Id, DateTimeOffset.MinValue);
        before.TotalSeconds.ShouldBeInRange(AlertsAndCommandsApp.TelemetrySeconds * 0.8, AlertsAndCommandsApp.TelemetrySeconds * 1.3);

        var command = await app.SendCommandAsync(new SendCommandRequest(CommandNames.SetInterval, Json(new { seconds = 2 }), device.Id, TtlSeconds: 60));
        var done = await Eventually.GetAsync(async () => await app.DeliveryAsync(device.Id, command.Id) is { State: CommandStates.Completed } delivery ? delivery : null,
            Patience, "set_interval completed by the device", Cancellation);

        // The sample already scheduled at the old interval comes first; the readings after it follow the new one.
        var after = await IntervalAsync(device.Id, done.UpdatedAt);
        after.TotalSeconds.ShouldBeInRange(1.5, 2.8);
        (before / after).ShouldBeGreaterThan(2);
    }

    [Fact]
    public async Task A_command_for_an_offline_device_is_delivered_when_it_reconnects_and_one_whose_ttl_passes_first_expires()
    {
        var serial = AlertsAndCommandsApp.Hit(OfflineFault, (faults, index) => faults.IsOffline(index)).Order().First();
        var device = await app.DeviceAsync(serial);
        try
        {
            await app.SetFaultsAsync(OfflineFault);
            await Eventually.TrueAsync(async () => (await app.DeviceAsync(serial)).Status == "offline", Patience, $"{serial} offline", Cancellation);

            var kept = await app.SendCommandAsync(new SendCommandRequest(CommandNames.SetConfig, Json(new { label = "delivered-on-reconnect" }), device.Id, TtlSeconds: 600));
            var lapsing = await app.SendCommandAsync(new SendCommandRequest(CommandNames.SetConfig, Json(new { lapsed = "never-applied" }), device.Id, TtlSeconds: 2));
            (await app.DeliveryAsync(device.Id, kept.Id)).State.ShouldBe(CommandStates.Queued);
            await Eventually.TrueAsync(async () => (await app.DeliveryAsync(device.Id, lapsing.Id)).State == CommandStates.Expired,
                Patience, "the 2 s command expired while its device is away", Cancellation);
            var waiting = await app.DeliveryAsync(device.Id, kept.Id);
            (waiting.State, waiting.Attempts).ShouldBe((CommandStates.Queued, 0));

            await app.SetFaultsAsync(NoFaults);
            await Eventually.TrueAsync(async () => (await app.DeliveryAsync(device.Id, kept.Id)).State == CommandStates.Completed,
                Patience, "the waiting command completed after the device reconnected", Cancellation);
            var events = (await app.Api.GetFromJsonAsync<IReadOnlyList<CommandEventResponse>>(CommandsHttp.Events(kept.Id, device.Id), Cancellation))!;
            events.Select(e => e.To).ShouldBe([CommandStates.Queued, CommandStates.Sent, CommandStates.Accepted, CommandStates.Completed]);
            var config = await Eventually.GetAsync(
                async () => (await app.Api.GetFromJsonAsync<DeviceDetail>($"{FleetHttp.DevicesRoute}/{device.Id}", Cancellation))!.Config is { } c && c.ContainsKey("label") ? c : null,
                Patience, "the device's heartbeat carrying the new setting", Cancellation);
            config["label"].ShouldBe("delivered-on-reconnect");
            config.ContainsKey("lapsed").ShouldBeFalse("the expired command never reached the device");
            (await app.DeliveryAsync(device.Id, lapsing.Id)).State.ShouldBe(CommandStates.Expired);
        }
        finally
        {
            await app.SetFaultsAsync(NoFaults);
        }
    }

    /// <summary>The median time between a device's readings taken after <paramref name="since"/>, past the first of them.</summary>
    private async Task<TimeSpan> IntervalAsync(Guid deviceId, DateTimeOffset since)
    {
        const int Gaps = 4;
        var times = await Eventually.GetAsync(async () =>
        {
            var history = (await app.Api.GetFromJsonAsync<TelemetryHistoryResponse>($"{FleetHttp.DevicesRoute}/{deviceId}/telemetry?limit=5000", Cancellation))!;
            var taken = history.Items.GroupBy(p => p.Seq).Select(g => g.First().Ts).Where(ts => ts > since).Order().Skip(1).ToList();
            return taken.Count > Gaps ? taken.TakeLast(Gaps + 1).ToList() : null;
        }, Patience, $"{Gaps + 1} readings", Cancellation);
        var gaps = times.Zip(times.Skip(1), (earlier, later) => later - earlier).Order().ToList();
        return gaps[gaps.Count / 2];
    }

    private static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value, JsonSerializerOptions.Web);
}
