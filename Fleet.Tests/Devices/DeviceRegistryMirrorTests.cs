using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Devices;

/// <summary>Heartbeats and operator actions leave their mark in the registry and the device's history.</summary>
public sealed class DeviceRegistryMirrorTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Heartbeat_firmware_slot_location_and_last_seen_reach_the_registry_and_its_filters()
    {
        var device = await _http.RegisterDeviceAsync("MIRROR-1", Cancellation);
        await HeartbeatAsync(device.DeviceKey, "3.1.4", "B", new GeoLocation(51.5, -0.12));

        var summary = await EventuallyListedAsync("firmware=3.1.4", device.DeviceId);
        summary.Location.ShouldBe(new GeoLocation(51.5, -0.12));
        summary.LastSeenAt.ShouldNotBeNull();
        var stats = await _http.GetAsOperatorAsync<FleetStatsResponse>("/api/v1/fleet/stats", Cancellation);
        stats!.ByFirmware.GetValueOrDefault("3.1.4").ShouldBe(1);
    }

    [Fact]
    public async Task A_firmware_or_slot_change_is_a_device_event_and_a_repeat_is_not()
    {
        var device = await _http.RegisterDeviceAsync("MIRROR-2", Cancellation);
        await HeartbeatAsync(device.DeviceKey, "1.0.0", "A");
        await EventuallyListedAsync("firmware=1.0.0", device.DeviceId);
        await HeartbeatAsync(device.DeviceKey, "1.0.0", "A");
        await HeartbeatAsync(device.DeviceKey, "2.0.0", "B");
        await EventuallyListedAsync("firmware=2.0.0", device.DeviceId);

        var firmwareEvents = (await EventsAsync(device.DeviceId)).Where(e => e.Kind == "firmware").Select(e => e.Detail).ToList();
        firmwareEvents.ShouldBe(["1.0.0 (slot A) -> 2.0.0 (slot B)", "unknown (slot ?) -> 1.0.0 (slot A)"], ignoreOrder: true);
    }

    [Fact]
    public async Task Lifecycle_changes_are_device_events_and_a_refused_change_is_not()
    {
        var device = await _http.RegisterDeviceAsync("MIRROR-3", Cancellation);
        (await OperatorPostAsync($"/api/v1/devices/{device.DeviceId}/suspend")).ShouldBe(HttpStatusCode.OK);
        (await OperatorPostAsync($"/api/v1/devices/{device.DeviceId}/retire")).ShouldBe(HttpStatusCode.OK);
        (await OperatorPostAsync($"/api/v1/devices/{device.DeviceId}/activate")).ShouldBe(HttpStatusCode.Conflict);

        var lifecycle = (await EventsAsync(device.DeviceId)).Where(e => e.Kind == "lifecycle").OrderBy(e => e.Id).Select(e => $"{e.From}->{e.To}").ToList();
        lifecycle.ShouldBe(["active->suspended", "suspended->retired"]);
    }

    private async Task HeartbeatAsync(string key, string firmware, string slot, GeoLocation? location = null)
    {
        using var response = await _http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, key,
            JsonContent.Create(new HeartbeatRequest(80, -60, firmware, slot, 100, location)), Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    private async Task<DeviceSummary> EventuallyListedAsync(string filter, Guid deviceId)
    {
        DeviceSummary? found = null;
        await Eventually.TrueAsync(async () =>
        {
            var list = await _http.GetAsOperatorAsync<DeviceListResponse>($"/api/v1/devices?{filter}", Cancellation);
            found = list!.Items.SingleOrDefault(d => d.Id == deviceId);
            return found is not null;
        }, TimeSpan.FromSeconds(10), $"the device to be listed with {filter}", Cancellation);
        return found!;
    }

    private async Task<IReadOnlyList<DeviceEventResponse>> EventsAsync(Guid deviceId) =>
        (await _http.GetAsOperatorAsync<DeviceEventsResponse>($"/api/v1/devices/{deviceId}/events", Cancellation))!.Items;

    private async Task<HttpStatusCode> OperatorPostAsync(string route)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route);
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
        using var response = await _http.SendAsync(request, Cancellation);
        return response.StatusCode;
    }

    public void Dispose() => _http.Dispose();
}
