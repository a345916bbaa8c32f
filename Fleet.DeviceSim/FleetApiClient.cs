using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.Contracts;

namespace Fleet.DeviceSim;

/// <summary>The device side of Fleet.Api; the base address is <c>http://api</c>, resolved by service discovery.</summary>
public sealed class FleetApiClient(HttpClient http)
{
    public async Task<RegisterDeviceResponse> RegisterAsync(RegisterDeviceRequest request, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(FleetHttp.RegisterRoute, request, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<RegisterDeviceResponse>(cancellationToken)
            ?? throw new InvalidOperationException("The API answered registration with an empty body.");
    }

    public async Task SendHeartbeatAsync(string deviceKey, HeartbeatRequest heartbeat, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, FleetHttp.HeartbeatRoute)
        {
            Content = JsonContent.Create(heartbeat),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, deviceKey);
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async Task SendTelemetryAsync(string deviceKey, TelemetryBatchRequest batch, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, FleetHttp.TelemetryRoute) { Content = JsonContent.Create(batch) };
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, deviceKey);
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}
