using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Fleet.Contracts;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Fleet.Web.Services;

/// <summary>How the UI follows the fleet's live events (<c>Fleet:Live</c>).</summary>
public sealed class LiveOptions
{
    /// <summary>Changes are gathered and handed to the pages at most this often, so a storm of changes costs one re-render.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan Throttle { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// One Redis subscription per web process to the API's device status changes, fanned out to every circuit.
/// Changes are batched: subscribers get at most one batch per <see cref="LiveOptions.Throttle"/>, whatever the churn.
/// </summary>
public sealed partial class FleetStatusFeed(
    IConnectionMultiplexer redis, IOptions<LiveOptions> options, TimeProvider time, ILogger<FleetStatusFeed> logger) : IHostedService, IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<Action<IReadOnlyList<DeviceStatusMessage>>> _subscribers = [];
    private List<DeviceStatusMessage> _pending = [];
    private ITimer? _flush;
    private readonly CancellationTokenSource _stopping = new();
    private ChannelMessageQueue? _queue;
    private Task? _subscribing;

    /// <summary>Registers a subscriber; dispose the result to stop (when the page or circuit goes away).</summary>
    public IDisposable Subscribe(Action<IReadOnlyList<DeviceStatusMessage>> onBatch)
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

    /// <summary>Takes one change as if it came from Redis (the subscription calls this; tests may too).</summary>
    public void Publish(DeviceStatusMessage change)
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
                _queue = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(FleetChannels.DeviceStatus));
                _queue.OnMessage(Receive);
                return;
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException)
            {
                LogSubscribeFailed(logger, exception);
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
            if (JsonSerializer.Deserialize<DeviceStatusMessage>(message.Message.ToString(), JsonSerializerOptions.Web) is { } change)
            {
                Publish(change);
            }
        }
        catch (JsonException exception)
        {
            LogUnreadableMessage(logger, exception);
        }
    }

    private void Flush()
    {
        List<DeviceStatusMessage> batch;
        Action<IReadOnlyList<DeviceStatusMessage>>[] subscribers;
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
                LogSubscriberFailed(logger, exception);
            }
        }
    }

    private void Unsubscribe(Action<IReadOnlyList<DeviceStatusMessage>> onBatch)
    {
        lock (_gate)
        {
            _subscribers.Remove(onBatch);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _flush?.Dispose();
            _flush = null;
        }

        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscribing to device status changes failed; trying again")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A device status message could not be read")]
    private static partial void LogUnreadableMessage(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A page failed to take a batch of status changes")]
    private static partial void LogSubscriberFailed(ILogger logger, Exception exception);

    private sealed class Subscription(FleetStatusFeed feed, Action<IReadOnlyList<DeviceStatusMessage>> onBatch) : IDisposable
    {
        public void Dispose() => feed.Unsubscribe(onBatch);
    }
}
