using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.Contracts;

namespace Fleet.Tests.Infrastructure;

/// <summary>What a device does over HTTP, for tests: register, then call with its key.</summary>
public static class DeviceClient
{
    public static RegisterDeviceRequest Registration(string serial) =>
        new(ApiFactory.EnrollmentToken, serial, "meter", "rev-a", "eu-west", Location: new GeoLocation(48.1, 11.6));

    public static Task<RegisterDeviceResponse> RegisterDeviceAsync(this HttpClient http, string serial, CancellationToken cancellationToken) =>
        http.RegisterDeviceAsync(Registration(serial), cancellationToken);

    /// <summary>Registers with <paramref name="registration"/> as it is, e.g. with an AppHost's own enrollment token.</summary>
    public static async Task<RegisterDeviceResponse> RegisterDeviceAsync(this HttpClient http, RegisterDeviceRequest registration, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(FleetHttp.RegisterRoute, registration, cancellationToken);
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RegisterDeviceResponse>(cancellationToken))!;
    }

    /// <summary>Sends <paramref name="content"/> as the device with <paramref name="key"/> (no key: anonymous).</summary>
    public static async Task<HttpResponseMessage> PostAsDeviceAsync(this HttpClient http, string route, string? key, HttpContent content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = content };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, key);
        }

        return await http.SendAsync(request, cancellationToken);
    }

    /// <summary>Sends one telemetry reading (seq <paramref name="seq"/>, a temperature, stamped now) as the device; its status.</summary>
    public static async Task<System.Net.HttpStatusCode> SendReadingAsync(this HttpClient http, string key, long seq, CancellationToken cancellationToken)
    {
        var batch = new TelemetryBatchRequest([new TelemetryReading(seq, DateTimeOffset.UtcNow, new Dictionary<string, double> { ["temperature"] = 20 })]);
        using var response = await http.PostAsDeviceAsync(FleetHttp.TelemetryRoute, key, JsonContent.Create(batch), cancellationToken);
        return response.StatusCode;
    }

    public static async Task<T?> GetAsOperatorAsync<T>(this HttpClient http, string route, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, route);
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
        using var response = await http.SendAsync(request, cancellationToken);
        return await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<T>(cancellationToken);
    }
}
