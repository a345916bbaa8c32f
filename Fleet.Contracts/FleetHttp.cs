namespace Fleet.Contracts;

/// <summary>Routes and header conventions shared by the API, the simulator, the UI and the tests.</summary>
public static class FleetHttp
{
    /// <summary>Device calls carry <c>Authorization: Device &lt;key&gt;</c>.</summary>
    public const string DeviceAuthScheme = "Device";

    /// <summary>Operator calls carry <c>Authorization: Bearer &lt;access token | personal access token | break-glass token&gt;</c>.</summary>
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

    /// <summary>
    /// Web: the OpenID Connect issuer it signs operators in with. The AppHost passes the api's address; an external
    /// provider's address (with its own <see cref="IdentityClientId"/> and <see cref="IdentityClientSecret"/>) switches the web to it.
    /// </summary>
    public const string IdentityAuthority = "Fleet:Identity:Authority";

    /// <summary>Web: its client id at the issuer (<c>fleet-web</c> at Fleet.Api's own issuer).</summary>
    public const string IdentityClientId = "Fleet:Identity:ClientId";

    /// <summary>Web and api: the web's client secret (the api registers the web with it). An AppHost secret parameter.</summary>
    public const string IdentityClientSecret = "Fleet:Identity:ClientSecret";

    /// <summary>Api: the web's public address, for the redirect URIs the api's issuer accepts for <c>fleet-web</c>.</summary>
    public const string IdentityWebUrl = "Fleet:Identity:WebUrl";

    /// <summary>Api: the first admin's password (user <c>admin</c>), set when no admin exists yet. An AppHost secret parameter.</summary>
    public const string IdentityAdminPassword = "Fleet:Identity:AdminPassword";

    /// <summary>
    /// Api: whether <see cref="OperatorToken"/> is accepted as a break-glass admin credential. Default: on in Development,
    /// off elsewhere.
    /// </summary>
    public const string IdentityBreakGlass = "Fleet:Identity:BreakGlass";

    /// <summary>Simulator: the bearer token its <c>/faults</c> API demands. An AppHost secret parameter.</summary>
    public const string SimulatorFaultsToken = "Fleet:Simulator:FaultsToken";
}
