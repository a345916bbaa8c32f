using Fleet.DeviceSim;
using Fleet.DeviceSim.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.DeviceSim;

/// <summary>The simulator's <c>/faults</c> endpoints alone on a test server, over a fault injector seeded with 1.</summary>
internal static class FaultsApiHost
{
    /// <summary>The simulator token (<c>Fleet:Simulator:FaultsToken</c>) the test server is configured with by default.</summary>
    public const string Token = "simulator-token-for-tests-0123456789";

    /// <param name="token">The configured <c>Fleet:Simulator:FaultsToken</c>; null leaves it unset.</param>
    public static async Task<WebApplication> StartAsync(FaultSettings initial, CancellationToken cancellationToken, string? token = Token)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton(new FaultInjector(initial, seed: 1));
        builder.Services.Configure<SimulatorOptions>(options => options.Simulator.FaultsToken = token);
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        app.MapFaultsApi();
        await app.StartAsync(cancellationToken);
        return app;
    }

    /// <summary>A client on the test server sending <c>Authorization: Bearer <paramref name="token"/></c> (nothing when null).</summary>
    public static HttpClient Client(WebApplication app, string? token = Token)
    {
        var http = app.GetTestClient();
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }
}
