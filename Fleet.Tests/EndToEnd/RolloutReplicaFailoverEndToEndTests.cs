using Fleet.AppHost.Running;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using StackExchange.Redis;
using static Fleet.Tests.EndToEnd.FleetOperator;

namespace Fleet.Tests.EndToEnd;

/// <summary>Two API replicas, with reboots long enough that a phase has devices mid-update for a while.</summary>
public sealed class TwoReplicaFleet() : RunningFleet("rollout-failover-e2e", 200, "--api-replicas", "2")
{
    protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>(base.Environment)
    {
        ["Fleet__Simulator__RebootSeconds"] = "3",
    };
}

/// <summary>
/// An API replica dies (SIGKILL) while devices are mid-update: the devices reconnect to the survivor, the survivor
/// takes the rollout controller's leader lock over, stuck updates time out and are offered again, and the rollout
/// completes with every device healthy and none left in flight.
/// </summary>
[Collection(WholeAppTests.Name)]
public sealed class RolloutReplicaFailoverEndToEndTests(TwoReplicaFleet fleet) : IClassFixture<TwoReplicaFleet>
{
    private const string Leader = "fleet:leader:rollout-controller";
    private static readonly string[] InFlight = ["offered", "downloading", "downloaded", "installing", "rebooting"];
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Killing_the_leading_api_replica_mid_phase_leaves_the_rollout_to_the_survivor_which_completes_it()
    {
        var api = fleet.State.Resource("api");
        api.ProcessIds.Count.ShouldBe(2);
        var release = await PublishAsync(fleet.Api, "5.0.0", await fleet.TypesAsync());
        var rollout = await CreateAsync(fleet.Api, new CreateRolloutRequest(release.Id,
            Plan: Plan([10, 60, 100], maxConcurrentUpdates: 40, perDeviceTimeout: TimeSpan.FromSeconds(15), retries: 5)));
        await ActAsync(fleet.Api, rollout.Id, "start");

        var midPhase = await WaitForAsync(fleet.Api, rollout.Id,
            r => r.PhaseIndex >= 1 && InFlight.Sum(s => r.Devices.GetValueOrDefault(s)) > 0 || FleetOperator.Finished.Contains(r.State),
            "in its second phase with devices mid-update", TimeSpan.FromMinutes(3));
        midPhase.State.ShouldBe("running");
        midPhase.PhaseIndex.ShouldBe(1);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(File.ReadAllText(fleet.State.Resource("cache").ConnectionStringFile!));
        var leaderPid = await LeaderProcessIdAsync(redis);
        var killed = api.ProcessIds.ToList().IndexOf(leaderPid);
        killed.ShouldBeGreaterThanOrEqualTo(0, $"the leader (pid {leaderPid}) is one of the api replicas {string.Join(", ", api.ProcessIds)}");
        Posix.Signal(leaderPid, Posix.SIGKILL);

        using var survivor = FleetAppHost.OperatorApi(fleet.State, TimeSpan.FromSeconds(30), replica: 1 - killed);
        var holder = 0;
        try
        {
            await Eventually.TrueAsync(async () => (holder = await LeaderProcessIdAsync(redis)) == api.ProcessIds[1 - killed],
                TimeSpan.FromSeconds(30), $"the surviving replica (pid {api.ProcessIds[1 - killed]}) to take the leader lock over from {leaderPid}", Cancellation);
        }
        catch (TimeoutException timeout)
        {
            // A holder that is neither means the survivor itself restarted (its console in the state folder's logs says why).
            throw new TimeoutException($"{timeout.Message} The lock's holder is pid {holder}; the api's processes now: {string.Join(", ", fleet.AppHost.State.Resource("api").ProcessIds)}.", timeout);
        }
        var done = await WaitForStateAsync(survivor, rollout.Id, FleetOperator.Finished, TimeSpan.FromMinutes(4));
        done.State.ShouldBe("completed");
        var unhealthy = (await RolloutDevicesAsync(survivor, rollout.Id)).Where(d => d.State != "healthy").Select(d => $"{d.DeviceId} {d.State}: {d.Reason}").ToList();
        unhealthy.ShouldBeEmpty($"every device healthy, none in flight: {string.Join(", ", done.Devices)}");
        await Eventually.TrueAsync(async () => (await DevicesAsync(survivor)).All(d => d.Firmware == "5.0.0"),
            TimeSpan.FromMinutes(1), "every device reporting 5.0.0", Cancellation);
        await Eventually.TrueAsync(async () => await ChannelRoutesAsync(redis) is var routes && routes.Count == fleet.Devices && !routes.Contains(leaderPid),
            TimeSpan.FromSeconds(30), "every device's channel on a live replica, none left on the killed one", Cancellation);
        await Eventually.TrueAsync(() => Task.FromResult(fleet.AppHost.State.Resource("api").Replicas.Sum(r => r.Restarts) >= 1),
            TimeSpan.FromSeconds(30), "the AppHost to restart the killed replica", Cancellation);
    }

    /// <summary>The process of the replica holding each device's channel, from the routes in Redis (replica ids are machine:pid:guid).</summary>
    private static async Task<List<int>> ChannelRoutesAsync(ConnectionMultiplexer redis)
    {
        var keys = new List<RedisKey>();
        await foreach (var key in redis.GetServers()[0].KeysAsync(pattern: "fleet:channel:device:*"))
        {
            keys.Add(key);
        }

        var replicas = await redis.GetDatabase().StringGetAsync([.. keys]);
        return [.. replicas.Where(r => r.HasValue).Select(r => int.Parse(((string)r!).Split(':')[^2], System.Globalization.CultureInfo.InvariantCulture))];
    }

    /// <summary>The process holding the controller's lock: its owner is machine:pid:guid.</summary>
    private static async Task<int> LeaderProcessIdAsync(ConnectionMultiplexer redis) =>
        (string?)await redis.GetDatabase().StringGetAsync(Leader) is { } owner ? int.Parse(owner.Split(':')[^2], System.Globalization.CultureInfo.InvariantCulture) : 0;
}
