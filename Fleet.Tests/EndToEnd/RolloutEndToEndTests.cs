using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using static Fleet.Tests.EndToEnd.FleetOperator;

namespace Fleet.Tests.EndToEnd;

/// <summary>
/// The whole app over real HTTP between processes: 200 simulated devices take a good release through every phase
/// on their own, then a release that fails to boot on hardware rev B breaches the canary's gate, rolls back, and
/// leaves no device on it.
/// </summary>
[Collection(WholeAppTests.Name)]
public sealed class RolloutEndToEndTests : IDisposable
{
    private const int Devices = 200;
    private readonly string _stateDirectory = TestDirectories.Create("rollout-e2e");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_good_release_reaches_every_device_and_one_failing_on_rev_b_is_stopped_at_the_canary_and_rolled_back()
    {
        await using var appHost = await FleetAppHost.StartAsync(_stateDirectory, ["--devices", Devices.ToString()], new Dictionary<string, string>
        {
            ["Fleet__Rollouts__TickInterval"] = "00:00:00.500",
            ["Fleet__Simulator__RebootSeconds"] = "1",
            ["Fleet__Simulator__HeartbeatSeconds"] = "2",
            ["Fleet__HeartbeatMirrorInterval"] = "00:00:01",
        }, Cancellation);
        var state = appHost.State;
        using var api = FleetAppHost.OperatorApi(state, TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(async () => (await StatsAsync(api)).ByLifecycle.GetValueOrDefault("active") == Devices,
            TimeSpan.FromMinutes(2), $"all {Devices} devices registered and active", Cancellation);
        var types = string.Join(",", (await StatsAsync(api)).ByType.Keys);

        // A good release: 1 → 10 → 50 → 100 % with no soak, advanced by its gates alone.
        var good = await PublishAsync(api, "2.0.0", types);
        var first = await StartAsync(api, good.Id, [1, 10, 50, 100], autoRollback: false, Devices);
        var done = await WaitForStateAsync(api, first.Id, Finished, TimeSpan.FromMinutes(4));
        done.State.ShouldBe("completed");
        done.Devices.GetValueOrDefault("healthy").ShouldBe(Devices);
        await Eventually.TrueAsync(async () => (await StatsAsync(api)).ByFirmware.GetValueOrDefault("2.0.0") == Devices,
            TimeSpan.FromMinutes(1), "every device reporting 2.0.0 in its heartbeat", Cancellation);

        // 2.0.1 fails its boot health check on every rev-b device.
        await SetBootFailureAsync(state, "2.0.1", "rev-b");
        var bad = await PublishAsync(api, "2.0.1", types);
        var second = await StartAsync(api, bad.Id, [10, 100], autoRollback: true, Devices);
        var stopped = await WaitForStateAsync(api, second.Id, Finished, TimeSpan.FromMinutes(3));
        stopped.State.ShouldBe("rolled-back");
        stopped.PhaseIndex.ShouldBe(0, "stopped at the canary");
        var gates = (await api.GetFromJsonAsync<PagedList<GateEvaluationResponse>>($"{RolloutHttp.Rollout(second.Id)}/gates", Cancellation))!;
        var breach = gates.Items.First(g => g.Verdict == "breach");
        breach.Failed.ShouldBeGreaterThan(0);
        breach.PhaseIndex.ShouldBe(0);
        await Eventually.TrueAsync(async () =>
        {
            var stats = await StatsAsync(api);
            return !stats.ByFirmware.ContainsKey("2.0.1") && stats.ByFirmware.GetValueOrDefault("2.0.0") == Devices;
        }, TimeSpan.FromMinutes(1), "every device back on 2.0.0", Cancellation);
    }

    public void Dispose() => TestDirectories.Delete(_stateDirectory);
}
