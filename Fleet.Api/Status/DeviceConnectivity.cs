namespace Fleet.Api.Status;

/// <summary>
/// Whether a device is reachable, per ARCHITECTURE.md: online (seen recently), at-risk (not seen for the
/// at-risk window, or battery low), offline (not seen for the offline window). Unknown until the first heartbeat.
/// </summary>
public enum DeviceConnectivity
{
    Unknown,
    Online,
    AtRisk,
    Offline,
}

/// <summary>The wire and storage names of <see cref="DeviceConnectivity"/>: <c>online</c>, <c>at-risk</c> ...</summary>
public static class ConnectivityNames
{
    public static string ToName(this DeviceConnectivity connectivity) => connectivity switch
    {
        DeviceConnectivity.Online => "online",
        DeviceConnectivity.AtRisk => "at-risk",
        DeviceConnectivity.Offline => "offline",
        _ => "unknown",
    };

    public static DeviceConnectivity Parse(string? name) => name switch
    {
        "online" => DeviceConnectivity.Online,
        "at-risk" => DeviceConnectivity.AtRisk,
        "offline" => DeviceConnectivity.Offline,
        _ => DeviceConnectivity.Unknown,
    };
}

/// <summary>One device's connectivity changed, and why.</summary>
public sealed record ConnectivityChange(Guid DeviceId, DeviceConnectivity From, DeviceConnectivity To, string Reason);
