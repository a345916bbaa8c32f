namespace Fleet.Contracts;

/// <summary>Routes and header conventions shared by the API, the simulator, the UI and the tests.</summary>
public static class FleetHttp
{
    /// <summary>Device calls carry <c>Authorization: Device &lt;key&gt;</c>.</summary>
    public const string DeviceAuthScheme = "Device";

    /// <summary>Operator calls carry <c>Authorization: Bearer &lt;operator token&gt;</c>.</summary>
    public const string OperatorAuthScheme = "Bearer";

    public const string RegisterRoute = "/api/v1/devices/register";
    /// <summary>Every call a device makes once registered (heartbeat, telemetry, firmware, channel) is under this path.</summary>
    public const string DeviceRoutesPrefix = "/api/v1/device";
    public const string HeartbeatRoute = "/api/v1/device/heartbeat";
    public const string TelemetryRoute = "/api/v1/device/telemetry";
    public const string FleetStatsRoute = "/api/v1/fleet/stats";
    public const string DevicesRoute = "/api/v1/devices";
}

/// <summary>Configuration keys the AppHost sets (as environment variables, <c>Fleet__OperatorToken</c> ...).</summary>
public static class FleetConfigKeys
{
    public const string OperatorToken = "Fleet:OperatorToken";
    public const string EnrollmentToken = "Fleet:EnrollmentToken";
    public const string Devices = "Fleet:Devices";
}
