using System.Text.Json;

namespace Fleet.Contracts;

/// <summary>Routes and names of operator commands to devices.</summary>
public static class CommandsHttp
{
    /// <summary><c>POST</c> sends a command to one device or a segment; <c>GET</c> lists commands.</summary>
    public const string Route = "/api/v1/commands";
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

/// <summary>Server → device, answering a <see cref="CommandReport"/>. <c>Outcome</c>: recorded, unchanged, illegal or not-found.</summary>
public sealed record CommandReportAck(string Type, Guid CommandId, string State, string Outcome, string? Detail = null);
