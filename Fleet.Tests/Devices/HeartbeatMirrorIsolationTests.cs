using System.Net;
using System.Net.Http.Json;
using Fleet.Api.Devices;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.Devices;

/// <summary>One heartbeat PostgreSQL refuses must not keep every other device's heartbeat out of the registry.</summary>
public sealed class HeartbeatMirrorIsolationTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_poisoned_row_is_dropped_and_the_rest_of_its_batch_reaches_the_registry()
    {
        var poisoned = await _http.RegisterDeviceAsync("ISOLATE-POISON", Cancellation);
        var healthy = await _http.RegisterDeviceAsync("ISOLATE-HEALTHY", Cancellation);
        var mirror = fixture.Api.Services.GetRequiredService<DeviceHeartbeatMirror>();

        // The edge refuses NUL now; this stands for whatever else PostgreSQL may refuse in one row.
        mirror.Record(poisoned.DeviceId, new HeartbeatRequest(50, -50, "1.0\0x", "A", 1), DateTimeOffset.UtcNow);
        await HeartbeatAsync(healthy.DeviceKey, "7.7.7");

        await FirmwareEventuallyAsync(healthy.DeviceId, "7.7.7");
        await HeartbeatAsync(poisoned.DeviceKey, "8.8.8");
        await FirmwareEventuallyAsync(poisoned.DeviceId, "8.8.8");
    }

    private async Task HeartbeatAsync(string key, string firmware)
    {
        using var response = await _http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, key,
            JsonContent.Create(new HeartbeatRequest(80, -60, firmware, "A", 100)), Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    private Task FirmwareEventuallyAsync(Guid deviceId, string firmware) =>
        Eventually.TrueAsync(
            async () => await Sql.ScalarAsync<string>(fixture.Api.DatabaseConnectionString,
                $"SELECT coalesce(firmware_version, '') FROM devices WHERE id = '{deviceId}'", Cancellation) == firmware,
            TimeSpan.FromSeconds(10), $"firmware {firmware} in the registry", Cancellation);

    public void Dispose() => _http.Dispose();
}
