using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Fleet.Web.Identity;

/// <summary>
/// The circuit's services for code that runs in another DI scope, such as an HttpClient's message handlers
/// (ASP.NET Core docs: "Access server-side Blazor services from a different DI scope"). Inbound circuit activity sets
/// it; <see cref="Services.FleetApiClient"/> sets it for each call too, because a live update or a timer calls the API
/// outside any inbound activity.
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

/// <summary>Sets <see cref="CircuitServicesAccessor.Services"/> for the duration of each inbound circuit activity.</summary>
public sealed class CircuitServicesAccessorHandler(IServiceProvider services, CircuitServicesAccessor accessor) : CircuitHandler
{
    public override Func<CircuitInboundActivityContext, Task> CreateInboundActivityHandler(Func<CircuitInboundActivityContext, Task> next) =>
        async context =>
        {
            accessor.Services = services;
            await next(context);
            accessor.Services = null;
        };
}
