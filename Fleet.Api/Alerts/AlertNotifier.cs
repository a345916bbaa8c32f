using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Fleet.Contracts;
using StackExchange.Redis;

namespace Fleet.Api.Alerts;

/// <summary>
/// Tells the world about alert changes: Redis pub/sub for the UI at once, and a rule's webhook from a bounded queue
/// drained in the background, so a slow or failing webhook never holds up evaluation. The webhook client carries the
/// standard resilience handler (retries with exponential backoff and jitter, a total timeout); when the queue is
/// full the oldest delivery is dropped and counted in the log.
/// </summary>
public sealed partial class AlertNotifier(IConnectionMultiplexer redis, IHttpClientFactory httpClients, ILogger<AlertNotifier> logger) : BackgroundService
{
    public const string WebhookClient = "alert-webhooks";

    private readonly Channel<(string Url, AlertEvent Event)> _webhooks = Channel.CreateBounded<(string Url, AlertEvent Event)>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = false },
        dropped => LogWebhookDropped(logger, dropped.Event.AlertId));

    public async Task PublishAsync(IReadOnlyList<(AlertEvent Event, string? WebhookUrl)> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }

        var subscriber = redis.GetSubscriber();
        var channel = RedisChannel.Literal(AlertSignals.EventsChannel);
        await Task.WhenAll(changes.Select(change => subscriber.PublishAsync(channel, JsonSerializer.Serialize(change.Event, JsonSerializerOptions.Web))));
        foreach (var (alertEvent, url) in changes)
        {
            if (url is not null)
            {
                _webhooks.Writer.TryWrite((url, alertEvent));
            }
        }
    }

    /// <summary>A few deliveries in parallel, so one webhook that times out does not hold up the others.</summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, 4).Select(_ => DeliverAsync(stoppingToken)));

    private async Task DeliverAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (url, alertEvent) in _webhooks.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    using var response = await httpClients.CreateClient(WebhookClient).PostAsJsonAsync(url, alertEvent, stoppingToken);
                    if (!response.IsSuccessStatusCode)
                    {
                        LogWebhookFailed(logger, alertEvent.AlertId, (int)response.StatusCode, null);
                    }
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException && !stoppingToken.IsCancellationRequested)
                {
                    LogWebhookFailed(logger, alertEvent.AlertId, 0, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId}: webhook delivery failed after retries (HTTP {Status})")]
    private static partial void LogWebhookFailed(ILogger logger, Guid alertId, int status, Exception? exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert {AlertId}: webhook queue full, oldest delivery dropped")]
    private static partial void LogWebhookDropped(ILogger logger, Guid alertId);
}
