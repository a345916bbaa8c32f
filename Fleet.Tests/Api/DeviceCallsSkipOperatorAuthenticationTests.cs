using System.Net;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Fleet.Tests.Api;

/// <summary>
/// Operator authentication (OpenIddict's server looks at every request it is shown, to find its own endpoints) is not
/// run for device calls: it was a sixth of the api's CPU on one-reading telemetry. Counted with an OpenIddict handler
/// of the test's own on the first event the server dispatches for a request.
/// </summary>
public sealed class DeviceCallsSkipOperatorAuthenticationTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_telemetry_request_never_reaches_OpenIddict_and_an_operator_request_does()
    {
        var seen = 0;
        using var api = fixture.Api.WithWebHostBuilder(web => web.ConfigureTestServices(services =>
            services.AddOpenIddict().AddServer(server => server.AddEventHandler<ProcessRequestContext>(handler => handler
                .UseInlineHandler(_ =>
                {
                    Interlocked.Increment(ref seen);
                    return default;
                })
                .SetOrder(int.MinValue)))));
        using var http = api.CreateClient();
        var device = await http.RegisterDeviceAsync("SER-NO-OIDC", Cancellation);
        var before = Volatile.Read(ref seen);

        for (var seq = 1; seq <= 5; seq++)
        {
            using var stored = await http.PostAsDeviceAsync(FleetHttp.TelemetryRoute, device.DeviceKey, JsonContent.Create(new TelemetryBatchRequest(
                [new TelemetryReading(seq, DateTimeOffset.UtcNow, new Dictionary<string, double> { ["temperature"] = 21.5 })])), Cancellation);
            stored.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        }

        Volatile.Read(ref seen).ShouldBe(before);
        using var operatorCall = await http.GetAsync(FleetHttp.FleetStatsRoute, Cancellation);
        operatorCall.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        Volatile.Read(ref seen).ShouldBeGreaterThan(before);
    }
}
