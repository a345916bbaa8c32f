namespace Fleet.Web.Identity;

/// <summary>
/// The DI scope of whoever is calling the API right now (the circuit's, or the request's while prerendering), for code
/// that runs in another scope: the HttpClient factory's message handlers (ASP.NET Core docs: "Access server-side Blazor
/// services from a different DI scope"). <see cref="Services.FleetApiClient"/> sets it around each call, also for calls
/// a live update or a timer makes outside any inbound circuit activity; it flows with the call and ends with it.
/// </summary>
public sealed class CircuitServicesAccessor
{
    private static readonly AsyncLocal<IServiceProvider?> CircuitServices = new();

    public IServiceProvider? Services
    {
        get => CircuitServices.Value;
        set => CircuitServices.Value = value;
    }
}
