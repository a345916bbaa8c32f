using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Fleet.Contracts;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Fleet.Web.Services;

/// <summary>How the UI follows the fleet's live events (<c>Fleet:Live</c>).</summary>
public sealed class LiveOptions
{
    public const string Section = "Fleet:Live";

    /// <summary>Changes are gathered and handed to the pages at most this often, so a storm of changes costs one re-render.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan Throttle { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>No channel carries rollout progress, so pages showing a rollout that can still move read it again this often.</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:10:00")]
    public TimeSpan RolloutPoll { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>While the API is unreachable the layout asks its <c>/health</c> this often, and the pages reload once it answers.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ApiRetry { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// One Redis subscription per web process to one of the API's live event channels, fanned out to every circuit.
/// Messages are batched: subscribers get at most one batch per <see cref="LiveOptions.Throttle"/>, whatever the churn.
/// </summary>
public abstract class LiveFeed<TMessage>(
    IConnectionMultiplexer redis, string channel, IOptions<LiveOptions> options, TimeProvider time, ILogger logger) : IHostedService, IDisposable
    where TMessage : class
{
    private readonly Lock _gate = new();
    private readonly List<Action<IReadOnlyList<TMessage>>> _subscribers = [];
    private List<TMessage> _pending = [];
    private ITimer? _flush;
    private readonly CancellationTokenSource _stopping = new();
    private ChannelMessageQueue? _queue;
    private Task? _subscribing;

    /// <summary>Registers a subscriber; dispose the result to stop (when the page or circuit goes away).</summary>
    public IDisposable Subscribe(Action<IReadOnlyList<TMessage>> onBatch)
    {
        lock (_gate)
        {
            _subscribers.Add(onBatch);
        }

        return new Subscription(this, onBatch);
    }

    public int SubscriberCount
    {
        get
        {
            lock (_gate)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>Takes one message as if it came from Redis (the subscription calls this; tests may too).</summary>
    public void Publish(TMessage change)
    {
        lock (_gate)
        {
            _pending.Add(change);
            // The first change of a quiet period starts the clock; the rest ride along in the same batch.
            _flush ??= time.CreateTimer(_ => Flush(), null, options.Value.Throttle, Timeout.InfiniteTimeSpan);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Subscribing must not hold up (or fail) the web's start when Redis is not there yet.
        _subscribing = SubscribeAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_subscribing is not null)
        {
            await _subscribing;
        }

        if (_queue is not null)
        {
            await _queue.UnsubscribeAsync();
        }
    }

    private async Task SubscribeAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                // Once subscribed, the client re-subscribes by itself after a reconnect.
                _queue = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(channel));
                _queue.OnMessage(Receive);
                return;
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException)
            {
                LiveFeedLog.SubscribeFailed(logger, channel, exception);
            }

            try
            {
                await Task.Delay(options.Value.Throttle * 5, time, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Receive(ChannelMessage message)
    {
        try
        {
            if (JsonSerializer.Deserialize<TMessage>(message.Message.ToString(), JsonSerializerOptions.Web) is { } change)
            {
                Publish(change);
            }
        }
        catch (JsonException exception)
        {
            LiveFeedLog.UnreadableMessage(logger, channel, exception);
        }
    }

    private void Flush()
    {
        List<TMessage> batch;
        Action<IReadOnlyList<TMessage>>[] subscribers;
        lock (_gate)
        {
            (batch, _pending) = (_pending, []);
            _flush?.Dispose();
            _flush = null;
            subscribers = [.. _subscribers];
        }

        foreach (var subscriber in subscribers)
        {
            try
            {
                subscriber(batch);
            }
            catch (Exception exception)
            {
                // One circuit's failure must not keep the batch from the others.
                LiveFeedLog.SubscriberFailed(logger, channel, exception);
            }
        }
    }

    private void Unsubscribe(Action<IReadOnlyList<TMessage>> onBatch)
    {
        lock (_gate)
        {
            _subscribers.Remove(onBatch);
        }
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        lock (_gate)
        {
            _flush?.Dispose();
            _flush = null;
        }

        _stopping.Dispose();
    }

    private sealed class Subscription(LiveFeed<TMessage> feed, Action<IReadOnlyList<TMessage>> onBatch) : IDisposable
    {
        public void Dispose() => feed.Unsubscribe(onBatch);
    }
}

/// <summary>The device status changes the API publishes on <see cref="FleetChannels.DeviceStatus"/>.</summary>
public sealed class FleetStatusFeed(IConnectionMultiplexer redis, IOptions<LiveOptions> options, TimeProvider time, ILogger<FleetStatusFeed> logger)
    : LiveFeed<DeviceStatusMessage>(redis, FleetChannels.DeviceStatus, options, time, logger);

/// <summary>The alert changes the API publishes on <see cref="FleetChannels.Alerts"/>.</summary>
public sealed class AlertFeed(IConnectionMultiplexer redis, IOptions<LiveOptions> options, TimeProvider time, ILogger<AlertFeed> logger)
    : LiveFeed<AlertEvent>(redis, FleetChannels.Alerts, options, time, logger);

/// <summary>The command delivery changes the API publishes on <see cref="FleetChannels.Commands"/>.</summary>
public sealed class CommandFeed(IConnectionMultiplexer redis, IOptions<LiveOptions> options, TimeProvider time, ILogger<CommandFeed> logger)
    : LiveFeed<CommandStatusMessage>(redis, FleetChannels.Commands, options, time, logger);

/// <summary>The lifecycle, firmware and environment changes the API publishes on <see cref="FleetChannels.DeviceChanges"/>.</summary>
public sealed class DeviceChangeFeed(IConnectionMultiplexer redis, IOptions<LiveOptions> options, TimeProvider time, ILogger<DeviceChangeFeed> logger)
    : LiveFeed<DeviceChangeMessage>(redis, FleetChannels.DeviceChanges, options, time, logger);

internal static partial class LiveFeedLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscribing to {Channel} failed; trying again")]
    public static partial void SubscribeFailed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message on {Channel} could not be read")]
    public static partial void UnreadableMessage(ILogger logger, string channel, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A page failed to take a batch from {Channel}")]
    public static partial void SubscriberFailed(ILogger logger, string channel, Exception exception);
}
