using System.Text.Json;

namespace Fleet.Contracts;

/// <summary>Routes and names of operator commands to devices.</summary>
public static class CommandsHttp
{
    /// <summary><c>POST</c> sends a command to one device or a segment; <c>GET</c> lists commands.</summary>
    public const string Route = "/api/v1/commands";

    public static string Command(Guid id) => $"{Route}/{id}";

    public static string Devices(Guid id) => $"{Route}/{id}/devices";

    public static string Events(Guid id, Guid deviceId) => $"{Route}/{id}/devices/{deviceId}/events";

    /// <summary>One device's commands, newest first, with that device's state of each.</summary>
    public static string OfDevice(Guid deviceId) => $"{FleetHttp.DevicesRoute}/{deviceId}/commands";
}

/// <summary>The commands a device understands.</summary>
public static class CommandNames
{
    /// <summary>No parameters: the device goes offline for a few seconds and comes back.</summary>
    public const string Reboot = "reboot";

    /// <summary><c>{"seconds": n}</c>: the device reports telemetry every n seconds.</summary>
    public const string SetInterval = "set_interval";

    /// <summary>No parameters: the device blinks (the simulator logs and reports it).</summary>
    public const string Identify = "identify";

    /// <summary><c>{"key": value, ...}</c>: the device applies the settings and shows them in its heartbeat's <c>config</c>.</summary>
    public const string SetConfig = "set_config";

    public static IReadOnlyList<string> All { get; } = [Reboot, SetInterval, Identify, SetConfig];
}

/// <summary>
/// A command's state for one device: queued → sent → accepted | rejected (reason) → completed | failed (reason),
/// or expired when its time-to-live ends first. Wire names are these, lower case.
/// </summary>
public static class CommandStates
{
    public const string Queued = "queued";
    public const string Sent = "sent";
    public const string Accepted = "accepted";
    public const string Rejected = "rejected";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Expired = "expired";
}

/// <summary>Device channel message types of commands (beside <see cref="DeviceChannel"/>'s update messages).</summary>
public static class CommandChannel
{
    /// <summary>Server → device: <see cref="CommandMessage"/>.</summary>
    public const string Command = "command";

    /// <summary>Device → server: <see cref="CommandReport"/>; the server answers each with a <see cref="CommandReportAck"/>.</summary>
    public const string Report = "command-status";

    /// <summary>Server → device: <see cref="CommandReportAck"/> (an unreadable report is answered with type <c>error</c>).</summary>
    public const string ReportAck = "command-ack";
}

/// <summary>
/// Server → device over the device channel. The device answers with <c>accepted</c> or <c>rejected</c>, then
/// <c>completed</c> or <c>failed</c>. The same <c>CommandId</c> may arrive again (a resend after a lost
/// acknowledgement): the device must not run it twice, only report its state again.
/// </summary>
public sealed record CommandMessage(
    string Type,
    Guid CommandId,
    string Name,
    IReadOnlyDictionary<string, JsonElement>? Parameters,
    DateTimeOffset ExpiresAt);

/// <summary>Device → server: <c>State</c> is accepted, rejected, completed or failed.</summary>
public sealed record CommandReport(string Type, Guid CommandId, string State, string? Reason = null);

/// <summary>
/// Server → device, answering a <see cref="CommandReport"/>; <c>Type</c> is <c>command-ack</c> (<c>error</c> when the report
/// was unreadable). <c>Outcome</c>: recorded, unchanged, illegal, not-found (or unreadable).
/// </summary>
public sealed record CommandReportAck(string Type, Guid CommandId, string State, string Outcome, string? Detail = null);

/// <summary>
/// Which active devices a command is for: every non-empty list must match (AND), any value within a list (OR; tags:
/// at least one of them). All empty: every active device (up to the API's fan-out cap).
/// </summary>
public sealed record CommandSegment(
    IReadOnlyList<string>? Types = null,
    IReadOnlyList<string>? Regions = null,
    IReadOnlyList<string>? HardwareRevisions = null,
    IReadOnlyList<string>? Tags = null,
    string? Environment = null);

/// <summary>
/// Body of <c>POST /api/v1/commands</c>: <c>Name</c> from <see cref="CommandNames"/>, its <c>Parameters</c> (a JSON object),
/// and exactly one of <c>DeviceId</c> or <c>Segment</c>. <c>TtlSeconds</c>: how long the command may wait for an offline
/// device (the API's default when absent). The audit names the caller (the signed-in user or the token's owner).
/// </summary>
public sealed record SendCommandRequest(
    string? Name,
    JsonElement? Parameters = null,
    Guid? DeviceId = null,
    CommandSegment? Segment = null,
    int? TtlSeconds = null);

/// <summary>A command as operators see it; <c>ByState</c> counts its devices by state (every state present, zeros included).</summary>
public sealed record CommandResponse(
    Guid Id,
    string Name,
    IReadOnlyDictionary<string, JsonElement>? Parameters,
    Guid? DeviceId,
    CommandSegment? Segment,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    int Devices,
    IReadOnlyDictionary<string, int> ByState);

/// <summary>One device's delivery of a command.</summary>
public sealed record CommandDeviceResponse(
    Guid DeviceId,
    string State,
    int Attempts,
    DateTimeOffset? LastSentAt,
    string? Reason,
    DateTimeOffset UpdatedAt);

/// <summary>One of a device's commands with that device's state of it (<c>GET /api/v1/devices/{id}/commands</c>).</summary>
public sealed record DeviceCommandResponse(
    Guid CommandId,
    string Name,
    IReadOnlyDictionary<string, JsonElement>? Parameters,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    string State,
    int Attempts,
    DateTimeOffset? LastSentAt,
    string? Reason,
    DateTimeOffset UpdatedAt);

/// <summary>One stored change of a delivery: <c>From</c> is null for the first (queued); a resend is sent → sent.</summary>
public sealed record CommandEventResponse(DateTimeOffset At, string? From, string To, string? Reason);

/// <summary>One delivery's state change as published on <see cref="FleetChannels.Commands"/> (camelCase JSON).</summary>
public sealed record CommandStatusMessage(Guid CommandId, Guid DeviceId, string Name, string From, string To, string? Reason, DateTimeOffset At);

/// <summary>Body of <c>POST /api/v1/commands/{id}/cancel</c>: why, and who (else the <c>X-Operator</c> header).</summary>
public sealed record CancelCommandRequest(string? Reason = null);
