using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.Rollouts;

/// <summary>The <c>Fleet.Rollouts</c> meter: devices of active rollouts by update state, and device sockets held.</summary>
public sealed class RolloutMetricsTests(RolloutControllerFixture fixture) : IClassFixture<RolloutControllerFixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Devices_of_running_rollouts_are_counted_by_update_state_and_reported_by_the_gauge()
    {
        var devices = await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 6, "metrics-region", Cancellation);
        var release = await fixture.Operator.PublishReleaseAsync(Cancellation);
        var rollout = await fixture.Operator.CreateRolloutAsync(new CreateRolloutRequest(
            release.Id,
            new RolloutTarget(DeviceIds: devices),
            new RolloutPlan(Phases: [new RolloutPhase(100, TimeSpan.Zero, 1, 0)], MaxConcurrentUpdates: 4)), Cancellation);
        (await fixture.Operator.ActAsync(rollout.Id, "start", Cancellation)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await fixture.Engine.TickAsync(Cancellation);
        var enrolled = (await fixture.Operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(rollout.Id)}/devices?state=pending", Cancellation))!.Items;
        enrolled.Count.ShouldBe(4, "as many as maxConcurrentUpdates");
        (await fixture.Progress.RecordDeviceProgressAsync(rollout.Id, enrolled[0].DeviceId, DeviceUpdateState.Failed, "test", Cancellation)).ShouldBe(ProgressOutcome.Recorded);

        var counts = await fixture.Engine.CountDevicesByStateAsync(Cancellation);
        var metrics = fixture.Api.Services.GetRequiredService<RolloutMetrics>();
        metrics.SetDevicesByState(counts);

        var observed = Observe(metrics.Meter, "fleet.rollouts.devices.by_state");
        observed.ShouldContainKeyAndValue("pending", 3);
        observed.ShouldContainKeyAndValue("failed", 1);
        observed.ShouldContainKeyAndValue("waiting", 2);
        observed.ShouldContainKeyAndValue("healthy", 0);

        (await fixture.Operator.ActAsync(rollout.Id, "abort", Cancellation, reason: "done measuring")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await fixture.Engine.CountDevicesByStateAsync(Cancellation)).Values.Sum().ShouldBe(0, "an aborted rollout's devices are no longer counted");
    }

    [Fact]
    public async Task The_connections_gauge_follows_the_device_sockets_this_replica_holds()
    {
        var meter = fixture.Api.Services.GetRequiredService<RolloutMetrics>().Meter;
        using var anonymous = fixture.Api.CreateClient();
        var registered = await anonymous.RegisterDeviceAsync($"MX-{Guid.NewGuid():N}", Cancellation);
        var before = Observe(meter, "fleet.device_channel.connections")[""];

        var client = fixture.Api.Server.CreateWebSocketClient();
        client.ConfigureRequest = request => request.Headers.Authorization = $"{FleetHttp.DeviceAuthScheme} {registered.DeviceKey}";
        using (var socket = await client.ConnectAsync(new Uri(fixture.Api.Server.BaseAddress, DeviceChannel.Route), Cancellation))
        {
            await Eventually.TrueAsync(() => Task.FromResult(Observe(meter, "fleet.device_channel.connections")[""] == before + 1),
                TimeSpan.FromSeconds(10), "the open socket to be counted", Cancellation);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", Cancellation);
        }

        await Eventually.TrueAsync(() => Task.FromResult(Observe(meter, "fleet.device_channel.connections")[""] == before),
            TimeSpan.FromSeconds(10), "the closed socket to be forgotten", Cancellation);
    }

    /// <summary>One collection of an observable instrument of this API's meter: value by its first tag's value ("" without tags).</summary>
    private static Dictionary<string, long> Observe(Meter meter, string instrumentName)
    {
        var values = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter && instrument.Name == instrumentName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => values[tags.Length > 0 ? tags[0].Value?.ToString() ?? "" : ""] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }
}
