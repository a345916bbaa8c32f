using System.Net.Http.Json;
using System.Threading.Channels;
using Fleet.Api.Infrastructure;
using Fleet.Api.Status;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using StackExchange.Redis;

namespace Fleet.Tests.Status;

/// <summary>
/// The status tracker and recorder on the run's real Redis (database 0, which no API factory uses) and on the
/// migrated database of an API fixture, with a fake clock so the windows pass instantly.
/// </summary>
public sealed class DeviceStatusTests : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private static readonly StatusOptions Windows = new();
    private readonly ApiFixture _fixture;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly ConnectionMultiplexer _redis;
    private readonly DeviceStatusTracker _tracker;

    public DeviceStatusTests(ApiFixture fixture, BackingServers servers)
    {
        _fixture = fixture;
        _redis = ConnectionMultiplexer.Connect($"{servers.RedisConnectionString},defaultDatabase=0,allowAdmin=true");
        _tracker = new DeviceStatusTracker(_redis, Options.Create(Windows), _clock);
    }

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await _redis.GetServers()[0].FlushDatabaseAsync(0);

    [Fact]
    public async Task First_heartbeat_makes_a_device_online_and_repeats_change_nothing()
    {
        var device = Guid.NewGuid();

        (await _tracker.SeenAsync(device, 80)).ShouldBe(new ConnectivityChange(device, DeviceConnectivity.Unknown, DeviceConnectivity.Online, "heartbeat"));
        (await _tracker.SeenAsync(device, 79)).ShouldBeNull();
        (await _tracker.CurrentAsync(device)).ShouldBe(DeviceConnectivity.Online);
    }

    [Fact]
    public async Task Low_battery_is_at_risk_while_reporting_and_recovers_when_charged()
    {
        var device = Guid.NewGuid();

        (await _tracker.SeenAsync(device, 12))!.To.ShouldBe(DeviceConnectivity.AtRisk);
        (await _tracker.SeenAsync(device, 45))!.To.ShouldBe(DeviceConnectivity.Online);
    }

    [Fact]
    public async Task A_silent_device_turns_at_risk_then_offline_then_online_on_its_next_heartbeat()
    {
        var device = Guid.NewGuid();
        await _tracker.SeenAsync(device, 80);

        _clock.Advance(Windows.AtRiskAfter - TimeSpan.FromSeconds(1));
        (await _tracker.SweepAsync()).ShouldBeEmpty();

        _clock.Advance(TimeSpan.FromSeconds(2));
        (await _tracker.SweepAsync()).ShouldBe([new ConnectivityChange(device, DeviceConnectivity.Online, DeviceConnectivity.AtRisk, $"not seen for {Windows.AtRiskAfter}")]);

        _clock.Advance(Windows.OfflineAfter - Windows.AtRiskAfter);
        (await _tracker.SweepAsync()).Single().To.ShouldBe(DeviceConnectivity.Offline);

        // Offline devices sit in neither sorted set, so later sweeps cost nothing for them.
        var database = _redis.GetDatabase();
        (await database.SortedSetLengthAsync(RedisKeys.StatusFresh) + await database.SortedSetLengthAsync(RedisKeys.StatusStale)).ShouldBe(0);
        (await _tracker.SweepAsync()).ShouldBeEmpty();

        (await _tracker.SeenAsync(device, 80))!.ShouldBe(new ConnectivityChange(device, DeviceConnectivity.Offline, DeviceConnectivity.Online, "heartbeat"));
    }

    [Fact]
    public async Task A_sweep_touches_only_the_devices_whose_window_passed()
    {
        var silent = Guid.NewGuid();
        await _tracker.SeenAsync(silent, 80);
        _clock.Advance(Windows.AtRiskAfter + TimeSpan.FromSeconds(1));
        foreach (var reporting in Enumerable.Range(0, 1000).Select(_ => Guid.NewGuid()))
        {
            await _tracker.SeenAsync(reporting, 80);
        }

        var changes = await _tracker.SweepAsync();

        changes.Select(c => c.DeviceId).ShouldBe([silent]);
        (await _redis.GetDatabase().SortedSetLengthAsync(RedisKeys.StatusFresh)).ShouldBe(1000);
    }

    [Fact]
    public async Task Changes_are_stored_as_events_mirrored_on_the_device_and_published()
    {
        using var http = _fixture.Api.CreateClient();
        var device = await http.RegisterDeviceAsync($"STATUS-{Guid.NewGuid():N}", Cancellation);
        await using var dataSource = NpgsqlDataSource.Create(_fixture.Api.DatabaseConnectionString);
        var recorder = new DeviceStatusRecorder(dataSource, _redis, new Fleet.Api.Alerts.AlertSignals(_redis, Microsoft.Extensions.Options.Options.Create(new Fleet.Api.Alerts.AlertOptions()), Microsoft.Extensions.Logging.Abstractions.NullLogger<Fleet.Api.Alerts.AlertSignals>.Instance), _clock);
        var published = Channel.CreateUnbounded<string>();
        var subscription = await _redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RedisKeys.DeviceStatusChannel));
        // The channel is fleet-wide: other tests' devices publish on it too, so keep only this device's messages.
        subscription.OnMessage(message =>
        {
            if (message.Message.ToString().Contains(device.DeviceId.ToString(), StringComparison.Ordinal))
            {
                published.Writer.TryWrite(message.Message!);
            }
        });

        await recorder.RecordAsync([new ConnectivityChange(device.DeviceId, DeviceConnectivity.Online, DeviceConnectivity.Offline, "not seen for 5m")], Cancellation);

        var message = await published.Reader.ReadAsync(Cancellation).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
        message.ShouldContain(device.DeviceId.ToString());
        message.ShouldContain("\"to\":\"offline\"");
        await using var command = dataSource.CreateCommand("SELECT connectivity FROM devices WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = device.DeviceId });
        ((string)(await command.ExecuteScalarAsync(Cancellation))!).ShouldBe("offline");
        var events = await http.GetAsOperatorAsync<DeviceEventsResponse>($"/api/v1/devices/{device.DeviceId}/events", Cancellation);
        events!.Items.ShouldContain(e => e.Kind == "status" && e.From == "online" && e.To == "offline" && e.Detail == "not seen for 5m");
    }

    [Fact]
    public async Task A_heartbeat_through_the_api_records_the_device_coming_online()
    {
        using var http = _fixture.Api.CreateClient();
        var device = await http.RegisterDeviceAsync($"STATUS-API-{Guid.NewGuid():N}", Cancellation);

        using var response = await http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, device.DeviceKey,
            JsonContent.Create(new HeartbeatRequest(87.5, -61, "1.4.0", "A", 3600)), Cancellation);
        response.EnsureSuccessStatusCode();

        var events = await http.GetAsOperatorAsync<DeviceEventsResponse>($"/api/v1/devices/{device.DeviceId}/events", Cancellation);
        events!.Items.Where(e => e.Kind == "status").ShouldHaveSingleItem().ShouldSatisfyAllConditions(
            e => e.From.ShouldBe("unknown"),
            e => e.To.ShouldBe("online"));
    }

    [Fact]
    public async Task One_replica_at_a_time_holds_the_leader_lock_and_another_takes_over_when_it_lapses()
    {
        var first = new LeaderLock(_redis);
        var second = new LeaderLock(_redis);
        var name = $"test-{Guid.NewGuid():N}";

        (await first.TryHoldAsync(name, TimeSpan.FromMilliseconds(300))).ShouldBeTrue();
        (await second.TryHoldAsync(name, TimeSpan.FromMilliseconds(300))).ShouldBeFalse();
        (await first.TryHoldAsync(name, TimeSpan.FromMilliseconds(300))).ShouldBeTrue();

        await Eventually.TrueAsync(() => second.TryHoldAsync(name, TimeSpan.FromSeconds(5)), TimeSpan.FromSeconds(5), "the lapsed lock to pass on", Cancellation);
        (await first.TryHoldAsync(name, TimeSpan.FromSeconds(5))).ShouldBeFalse();
    }

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();
}
