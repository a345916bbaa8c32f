using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.Api.Alerts;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.Alerts;

/// <summary>The evaluator's work follows the devices that change, not the number of devices under its rules.</summary>
public sealed class AlertEvaluationCostTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_forty_devices_in_scope_one_heartbeat_costs_one_device_evaluation()
    {
        using (var rule = new HttpRequestMessage(HttpMethod.Post, "/api/v1/alert-rules") { Content = JsonContent.Create(new AlertRuleRequest("cost", "battery_low", "info")) })
        {
            rule.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
            (await _http.SendAsync(rule, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        var keys = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            keys.Add((await _http.RegisterDeviceAsync($"COST-{i}", Cancellation)).DeviceKey);
        }

        var meter = fixture.Api.Services.GetRequiredService<AlertMetrics>().Meter;
        long evaluated = 0;
        var perEvaluation = new System.Collections.Concurrent.ConcurrentQueue<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter && instrument.Name is "fleet.alerts.devices.evaluated" or "fleet.alerts.evaluation.devices")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "fleet.alerts.devices.evaluated")
            {
                Interlocked.Add(ref evaluated, value);
            }
            else
            {
                perEvaluation.Enqueue(value);
            }
        });
        listener.Start();

        foreach (var key in keys)
        {
            await HeartbeatAsync(key);
        }

        // First heartbeats also change each device's status, which marks it again: wait until evaluation is quiet.
        await Eventually.TrueAsync(async () =>
        {
            var before = Interlocked.Read(ref evaluated);
            await Task.Delay(TimeSpan.FromSeconds(1), Cancellation);
            return before >= 40 && Interlocked.Read(ref evaluated) == before;
        }, TimeSpan.FromSeconds(20), "every device evaluated and nothing left to evaluate", Cancellation);
        Interlocked.Exchange(ref evaluated, 0);
        perEvaluation.Clear();
        await HeartbeatAsync(keys[7]);
        await Eventually.TrueAsync(() => Task.FromResult(Interlocked.Read(ref evaluated) >= 1), TimeSpan.FromSeconds(10), "the changed device evaluated", Cancellation);
        // A few more ticks pass: nothing else changed, so nothing else is looked at.
        await Task.Delay(TimeSpan.FromSeconds(1), Cancellation);
        Interlocked.Read(ref evaluated).ShouldBe(1);
        perEvaluation.ToArray().ShouldBe([1L], "one evaluation, of one device");
    }

    private async Task HeartbeatAsync(string key)
    {
        using var response = await _http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, key, JsonContent.Create(new HeartbeatRequest(90, -60, "1.0.0", "A", 10)), Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    public void Dispose() => _http.Dispose();
}
