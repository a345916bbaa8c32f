using System.Net.WebSockets;
using System.Text.Json;
using Fleet.Api.Infrastructure;
using Fleet.Api.Mqtt;
using Fleet.Contracts;
using Npgsql;
using StackExchange.Redis;

namespace Fleet.Api.Rollouts;

/// <summary>Commands over the device channel: delivery (local, routed, or on reconnect) and the device's reports.</summary>
public sealed partial class DeviceChannelHub
{
    private const int RouteLookupBatch = 1_000;

    /// <summary>
    /// Delivers <paramref name="message"/> to each device: over a local socket, through the holding replica's channel, or
    /// not at all while the device is offline (it stays queued and goes out on reconnect). Routes are looked up in batches.
    /// </summary>
    public async Task SendCommandAsync(CommandMessage message, IReadOnlyList<Guid> deviceIds, CancellationToken cancellationToken)
    {
        var remote = new List<Guid>();
        foreach (var deviceId in deviceIds)
        {
            if (_connections.TryGetValue(deviceId, out var local))
            {
                await DeliverCommandAsync(deviceId, local, message, cancellationToken);
            }
            else
            {
                remote.Add(deviceId);
            }
        }

        var database = redis.GetDatabase();
        foreach (var batch in remote.Chunk(RouteLookupBatch))
        {
            var replicas = await database.StringGetAsync([.. batch.Select(id => (RedisKey)RedisRoutes.Device(id))]);
            var publishes = new List<Task>();
            for (var i = 0; i < batch.Length; i++)
            {
                if (replicas[i].HasValue)
                {
                    publishes.Add(RouteAsync(replicas[i]!, new RoutedMessage(batch[i], null, null, message), cancellationToken));
                }
            }

            await Task.WhenAll(publishes);
        }
    }

    private async Task SendOutstandingCommandsAsync(Guid deviceId, IDeviceConnection connection, CancellationToken cancellationToken)
    {
        foreach (var message in await commands.OutstandingAsync(deviceId, cancellationToken))
        {
            await DeliverCommandAsync(deviceId, connection, message, cancellationToken);
        }
    }

    /// <summary>Sends the command, then records it: a queued delivery becomes sent only once the socket took it.</summary>
    private async Task DeliverCommandAsync(Guid deviceId, IDeviceConnection connection, CommandMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await connection.SendAsync(message, cancellationToken);
            await commands.MarkSentAsync(message.CommandId, deviceId, message.Name, cancellationToken);
        }
        catch (Exception exception) when (exception is WebSocketException or DeviceLinkException or ObjectDisposedException or OperationCanceledException or NpgsqlException)
        {
            LogCommandNotDelivered(logger, message.CommandId, deviceId, exception);
        }
    }

    /// <summary>True for a JSON object whose <c>type</c> is <c>command-status</c>; anything else takes the progress path (and its errors).</summary>
    private static bool IsCommandReport(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("type", out var type)
                && type.ValueKind == JsonValueKind.String
                && type.GetString() == CommandChannel.Report;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private async Task<CommandReportAck> HandleCommandReportAsync(Guid deviceId, string text, CancellationToken cancellationToken)
    {
        CommandReport? report;
        try
        {
            report = JsonSerializer.Deserialize<CommandReport>(text, FleetTextConverter.DeviceMessages);
        }
        catch (JsonException exception)
        {
            return new CommandReportAck(DeviceChannel.Error, Guid.Empty, "", "unreadable", exception.Message);
        }

        if (report is not null && (!IsCleanText(report.Reason) || !IsCleanText(report.State)))
        {
            return new CommandReportAck(DeviceChannel.Error, report.CommandId, "", "unreadable", "state and reason must not hold control characters.");
        }

        return report is null || report.CommandId == Guid.Empty
            ? new CommandReportAck(DeviceChannel.Error, Guid.Empty, report?.State ?? "", "unreadable", "Send {\"type\":\"command-status\",\"commandId\",\"state\",\"reason\"?}.")
            : await commands.ReportAsync(deviceId, report, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Command {CommandId} to device {DeviceId} not delivered; it goes out on reconnect or with the next resend")]
    private static partial void LogCommandNotDelivered(ILogger logger, Guid commandId, Guid deviceId, Exception exception);
}
