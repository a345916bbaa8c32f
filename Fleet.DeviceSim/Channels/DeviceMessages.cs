using System.Buffers;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.DeviceSim.Commands;
using Fleet.DeviceSim.Updates;

namespace Fleet.DeviceSim.Channels;

/// <summary>
/// What a device's link carries, whichever the transport (the WebSocket channel or MQTT): messages from the server go to
/// the device's updater and command runner by <c>type</c>; its reports wait in an outbox until delivered, to be sent
/// again on reconnect. A later report under the same key replaces an earlier one.
/// </summary>
public sealed partial class DeviceMessages
{
    private readonly VirtualDevice _device;
    private readonly DeviceChannels _channels;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (string State, object Message)> _outbox = [];

    public DeviceMessages(VirtualDevice device, IDeviceLink link, DeviceChannels channels)
    {
        _device = device;
        _channels = channels;
        Updater = new DeviceUpdater(device, link, channels.Downloader, channels.Faults, channels.Status, channels.Logger);
        Commands = new DeviceCommands(device, link, channels.Clock, channels.Status, channels.Logger);
    }

    public DeviceUpdater Updater { get; }

    public DeviceCommands Commands { get; }

    /// <summary>Reports sent but not delivered yet.</summary>
    public int Undelivered
    {
        get
        {
            lock (_lock)
            {
                return _outbox.Count;
            }
        }
    }

    public void Keep(string key, string state, object message)
    {
        lock (_lock)
        {
            _outbox[key] = (state, message);
        }
    }

    /// <summary>The report under <paramref name="key"/> arrived in <paramref name="state"/>: unless a later one replaced it, it is done.</summary>
    public void Delivered(string key, string? state)
    {
        lock (_lock)
        {
            if (_outbox.TryGetValue(key, out var pending) && string.Equals(pending.State, state, StringComparison.OrdinalIgnoreCase))
            {
                _outbox.Remove(key);
            }
        }
    }

    /// <summary>The reports to send again on a new connection, with their keys and states.</summary>
    public (string Key, string State, object Message)[] Pending()
    {
        lock (_lock)
        {
            return [.. _outbox.Select(entry => (entry.Key, entry.Value.State, entry.Value.Message))];
        }
    }

    /// <summary>Hands one message on by its <c>type</c>; updates and commands run in the background so the link keeps reading.</summary>
    public async Task DispatchAsync(ReadOnlySequence<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var type = root.TryGetProperty("type", out var typeProperty) && typeProperty.ValueKind == JsonValueKind.String ? typeProperty.GetString() : null;
            switch (type)
            {
                case DeviceChannel.Offer:
                    var before = Updater.Work;
                    await Updater.OfferAsync(root.Deserialize<UpdateOffer>(JsonSerializerOptions.Web)!, _channels.Stopping);
                    if (Updater.Work != before)
                    {
                        _channels.Track(Updater.Work);
                    }

                    break;
                case DeviceChannel.Rollback:
                    await Updater.RollbackAsync(root.Deserialize<RollbackRequest>(JsonSerializerOptions.Web)!, _channels.Stopping);
                    break;
                case CommandChannel.Command:
                    _channels.Track(Commands.HandleAsync(root.Deserialize<CommandMessage>(JsonSerializerOptions.Web)!, _channels.Stopping));
                    break;
                case DeviceChannel.Ack or DeviceChannel.Error:
                    Acknowledge(root, type);
                    break;
                default:
                    if (root.TryGetProperty("commandId", out _) && root.TryGetProperty("outcome", out _))
                    {
                        Acknowledge(root, type);
                    }
                    else
                    {
                        LogUnknownMessage(_channels.Logger, _device.Serial, type);
                    }

                    break;
            }
        }
        catch (JsonException exception)
        {
            LogUnreadable(_channels.Logger, _device.Serial, exception.Message);
        }
    }

    /// <summary>The server answered a report (recorded, unchanged, illegal, not-found, or an error): it need not be sent again.</summary>
    private void Acknowledge(JsonElement root, string? type)
    {
        var key = root.TryGetProperty("commandId", out var command) && command.ValueKind == JsonValueKind.String && command.TryGetGuid(out var commandId)
                ? DeviceCommands.ReportKey(commandId)
            : root.TryGetProperty("rolloutId", out var rollout) && rollout.ValueKind == JsonValueKind.String && rollout.TryGetGuid(out var rolloutId)
                ? DeviceUpdater.ReportKey(rolloutId)
            : null;
        var state = root.TryGetProperty("state", out var stateProperty) && stateProperty.ValueKind == JsonValueKind.String ? stateProperty.GetString() : null;
        var outcome = root.TryGetProperty("outcome", out var outcomeProperty) && outcomeProperty.ValueKind == JsonValueKind.String ? outcomeProperty.GetString() : null;
        LogAck(_channels.Logger, _device.Serial, type, key, state, outcome);
        if (key is not null)
        {
            Delivered(key, state);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Serial} got {Type} for {Key}: state {State}, outcome {Outcome}")]
    private static partial void LogAck(ILogger logger, string serial, string? type, string? key, string? state, string? outcome);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Serial} got a message of unknown type {Type}; ignored")]
    private static partial void LogUnknownMessage(ILogger logger, string serial, string? type);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Serial} got an unreadable message: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string serial, string reason);
}
