using System.Text.Json;
using Fleet.Api.Infrastructure;
using Fleet.Api.Status;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Fleet.Web.Services;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Fleet.Tests.Web;

/// <summary>The web's one Redis subscription to status changes, batched per throttle interval and fanned out to pages.</summary>
public sealed class FleetStatusFeedTests(BackingServers servers) : IDisposable
{
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(servers.RedisConnectionString);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public void Changes_within_one_throttle_interval_reach_every_subscriber_as_one_batch()
    {
        using var feed = Feed();
        var first = new List<IReadOnlyList<DeviceStatusMessage>>();
        var second = new List<IReadOnlyList<DeviceStatusMessage>>();
        using var one = feed.Subscribe(first.Add);
        using var two = feed.Subscribe(second.Add);

        for (var i = 0; i < 100; i++)
        {
            feed.Publish(Change("online", "offline"));
        }

        _time.Advance(TimeSpan.FromMilliseconds(999));
        first.ShouldBeEmpty();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        first.ShouldHaveSingleItem().Count.ShouldBe(100);
        second.ShouldHaveSingleItem().Count.ShouldBe(100);

        feed.Publish(Change("offline", "online"));
        _time.Advance(TimeSpan.FromSeconds(1));
        first.Count.ShouldBe(2);
        first[1].ShouldHaveSingleItem().To.ShouldBe("online");
    }

    [Fact]
    public void A_disposed_subscription_gets_nothing_more()
    {
        using var feed = Feed();
        var batches = new List<IReadOnlyList<DeviceStatusMessage>>();
        var subscription = feed.Subscribe(batches.Add);

        subscription.Dispose();
        feed.Publish(Change("online", "at-risk"));
        _time.Advance(TimeSpan.FromSeconds(1));

        batches.ShouldBeEmpty();
        feed.SubscriberCount.ShouldBe(0);
    }

    [Fact]
    public async Task A_change_the_API_publishes_on_Redis_reaches_the_pages()
    {
        using var feed = new FleetStatusFeed(_redis, Microsoft.Extensions.Options.Options.Create(new LiveOptions { Throttle = TimeSpan.FromMilliseconds(50) }),
            TimeProvider.System, NullLogger<FleetStatusFeed>.Instance);
        var received = new TaskCompletionSource<DeviceStatusMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var deviceId = Guid.NewGuid();
        // Pub/sub channels are server-wide, not per Redis database: APIs of tests running alongside publish their
        // devices' changes on the same channel, so the test waits for its own device's.
        using var subscription = feed.Subscribe(batch =>
        {
            if (batch.FirstOrDefault(change => change.DeviceId == deviceId) is { } mine)
            {
                received.TrySetResult(mine);
            }
        });
        await feed.StartAsync(Cancellation);

        // Published the way the API's DeviceStatusRecorder does: the shared record, camelCase JSON, on its channel constant.
        await Eventually.TrueAsync(async () =>
        {
            await _redis.GetSubscriber().PublishAsync(RedisChannel.Literal(RedisKeys.DeviceStatusChannel),
                JsonSerializer.Serialize(new DeviceStatusMessage(deviceId, "online", "at-risk", DateTimeOffset.UtcNow, "battery low"), JsonSerializerOptions.Web));
            return received.Task.IsCompleted;
        }, TimeSpan.FromSeconds(10), "the published change to reach the subscriber", Cancellation);

        var change = await received.Task;
        (change.From, change.To, change.Reason).ShouldBe(("online", "at-risk", "battery low"));
        await feed.StopAsync(Cancellation);
    }

    private FleetStatusFeed Feed() =>
        new(_redis, Microsoft.Extensions.Options.Options.Create(new LiveOptions()), _time, NullLogger<FleetStatusFeed>.Instance);

    private static DeviceStatusMessage Change(string from, string to) => new(Guid.NewGuid(), from, to, DateTimeOffset.UnixEpoch, "test");

    public void Dispose() => _redis.Dispose();
}
