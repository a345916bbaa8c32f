namespace Fleet.Contracts;

/// <summary>
/// The MQTT 5 surface. A device connects with client id and username = its device id and password = its device key (the
/// same credentials as HTTP); it may publish only under its own <c>fleet/{deviceId}/</c> up topics and receive only its own
/// down topics (the broker enforces both). Payloads are the HTTP contracts' JSON: a telemetry message is a
/// <see cref="TelemetryBatchRequest"/>, a heartbeat a <see cref="HeartbeatRequest"/>.
/// </summary>
public static class FleetMqtt
{
    public const string Root = "fleet";

    /// <summary>The content type devices and the api set on JSON payloads (MQTT 5 property).</summary>
    public const string JsonContentType = "application/json";

    /// <summary>Up: a batch of readings, as <see cref="FleetHttp.TelemetryRoute"/> takes it.</summary>
    public const string Telemetry = "telemetry";

    /// <summary>Up: a heartbeat, as <see cref="FleetHttp.HeartbeatRoute"/> takes it.</summary>
    public const string Heartbeat = "heartbeat";

    /// <summary>Up: <see cref="Online"/> after connecting; the device's last will says <see cref="Offline"/>.</summary>
    public const string Status = "status";

    /// <summary>Down: commands for the device.</summary>
    public const string Commands = "commands";

    /// <summary>Up: the device's answers to commands.</summary>
    public const string CommandAcks = "commands/ack";

    /// <summary>Down: update offers.</summary>
    public const string Updates = "updates";

    /// <summary>Up: update progress.</summary>
    public const string UpdateProgress = "updates/progress";

    public const string Online = "online";
    public const string Offline = "offline";

    /// <summary>What a device may publish (after <c>fleet/{deviceId}/</c>).</summary>
    public static IReadOnlyList<string> DeviceUpTopics { get; } = [Telemetry, Heartbeat, Status, CommandAcks, UpdateProgress];

    /// <summary>What a device may receive (after <c>fleet/{deviceId}/</c>).</summary>
    public static IReadOnlyList<string> DeviceDownTopics { get; } = [Commands, Updates];

    public static string Topic(Guid deviceId, string kind) => $"{Root}/{deviceId}/{kind}";

    /// <summary>Splits <c>fleet/{deviceId}/{kind}</c>; false for anything else.</summary>
    public static bool TryParse(string topic, out Guid deviceId, out string kind)
    {
        deviceId = Guid.Empty;
        kind = "";
        var prefix = Root + "/";
        if (!topic.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = topic.AsSpan(prefix.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || !Guid.TryParseExact(rest[..slash], "D", out deviceId))
        {
            return false;
        }

        kind = rest[(slash + 1)..].ToString();
        return kind.Length > 0;
    }
}
