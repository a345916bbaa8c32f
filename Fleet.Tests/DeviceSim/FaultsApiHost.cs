using Fleet.DeviceSim.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.DeviceSim;

/// <summary>The simulator's <c>/faults</c> endpoints alone on a test server, over a fault injector seeded with 1.</summary>
internal static class FaultsApiHost
{
    public static async Task<WebApplication> StartAsync(FaultSettings initial, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton(new FaultInjector(initial, seed: 1));
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        app.MapFaultsApi();
        await app.StartAsync(cancellationToken);
        return app;
    }
}
