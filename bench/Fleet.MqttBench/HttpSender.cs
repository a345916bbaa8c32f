using System.Net.Http.Headers;
using Fleet.Bench;
using Fleet.Contracts;

namespace Fleet.MqttBench;

/// <summary>Each reading as one <c>POST /api/v1/device/telemetry</c> with the device's key; the 202 (given once stored) is the acknowledgement.</summary>
internal sealed class HttpSender(HttpClient http, BenchDevice[] devices, string[] metricNames) : ITelemetrySender
{
    public string Transport => BenchOptions.Http;

    public async Task<string?> SendAsync(int device, long seq, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, FleetHttp.TelemetryRoute)
        {
            Content = new ReadOnlyMemoryContent(TelemetryBody.Write(metricNames, seq, 1, DateTimeOffset.UtcNow)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(FleetMqtt.JsonContentType);
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, devices[device].Key);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode ? null : ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException exception)
        {
            return exception.HttpRequestError.ToString();
        }
    }
}
