using System.Net;
using System.Net.Http.Json;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.Rollouts;

/// <summary>Heartbeats and telemetry leave the marks the rollout gate reads: boot times, and error reports.</summary>
public sealed class DeviceHealthMarksTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private DeviceHealthMarks Marks => fixture.Api.Services.GetRequiredService<DeviceHealthMarks>();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_heartbeat_marks_when_the_device_booted_from_its_uptime()
    {
        var device = await _http.RegisterDeviceAsync("HEALTH-BOOT", Cancellation);
        var before = DateTimeOffset.UtcNow;

        await SendAsync(device.DeviceKey, FleetHttp.HeartbeatRoute, new HeartbeatRequest(80, -60, "1.0.0", "A", UptimeS: 600, Location: null));

        var marks = await Marks.SinceAsync(before.AddMinutes(-15));
        marks.Boots.Keys.ShouldContain(device.DeviceId);
        marks.Boots[device.DeviceId].ShouldBeInRange(before.AddSeconds(-602), DateTimeOffset.UtcNow.AddSeconds(-598));
        (await Marks.SinceAsync(before.AddMinutes(-5))).Boots.Keys.ShouldNotContain(device.DeviceId);
    }

    [Fact]
    public async Task Telemetry_marks_a_device_erring_only_when_the_error_metric_is_above_zero()
    {
        var device = await _http.RegisterDeviceAsync("HEALTH-ERRORS", Cancellation);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        await SendAsync(device.DeviceKey, FleetHttp.TelemetryRoute, Batch(1, errors: 0));
        (await Marks.SinceAsync(before)).Errors.Keys.ShouldNotContain(device.DeviceId);

        await SendAsync(device.DeviceKey, FleetHttp.TelemetryRoute, Batch(2, errors: 2));
        (await Marks.SinceAsync(before)).Errors[device.DeviceId].ShouldBeGreaterThan(before);
    }

    private static TelemetryBatchRequest Batch(long seq, double errors) =>
        new([new TelemetryReading(seq, DateTimeOffset.UtcNow, new Dictionary<string, double> { ["temperature"] = 21.5, ["errors"] = errors })]);

    private async Task SendAsync<T>(string key, string route, T body)
    {
        using var response = await _http.PostAsDeviceAsync(route, key, JsonContent.Create(body), Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    public void Dispose() => _http.Dispose();
}
