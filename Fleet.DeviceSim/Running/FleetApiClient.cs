using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Contracts;

namespace Fleet.DeviceSim;

/// <summary>
/// The device side of Fleet.Api; the base address is <c>http://api</c>, resolved by service discovery. Calls answer
/// with an <see cref="ApiOutcome"/> rather than throwing, because every failure is something a device must react to.
/// </summary>
public sealed class FleetApiClient(HttpClient http)
{
    public async Task<(ApiOutcome Outcome, RegisterDeviceResponse? Registration)> RegisterAsync(RegisterDeviceRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.PostAsJsonAsync(FleetHttp.RegisterRoute, request, cancellationToken);
            var outcome = ApiOutcome.From(response);
            if (outcome.Kind != ApiOutcomeKind.Accepted)
            {
                return (outcome, null);
            }

            var body = await response.Content.ReadFromJsonAsync<RegisterDeviceResponse>(cancellationToken);
            return body is null ? (ApiOutcome.Unavailable("empty registration answer"), null) : (outcome, body);
        }
        catch (Exception exception) when (IsCallFailure(exception, cancellationToken))
        {
            return (ApiOutcome.Unavailable(exception.Message), null);
        }
    }

    public Task<ApiOutcome> SendHeartbeatAsync(string deviceKey, HeartbeatRequest heartbeat, CancellationToken cancellationToken) =>
        SendAsync(FleetHttp.HeartbeatRoute, deviceKey, JsonContent.Create(heartbeat), cancellationToken);

    public Task<ApiOutcome> SendTelemetryAsync(string deviceKey, TelemetryBatchRequest batch, CancellationToken cancellationToken) =>
        SendAsync(FleetHttp.TelemetryRoute, deviceKey, JsonContent.Create(batch), cancellationToken);

    /// <summary>
    /// Asks for a firmware artefact from byte <paramref name="from"/> on (a Range request when above zero, with
    /// If-Range so a changed artefact comes back whole). The caller reads and disposes the response.
    /// </summary>
    /// <exception cref="HttpRequestException">The API could not be reached.</exception>
    public async Task<HttpResponseMessage> DownloadFirmwareAsync(string deviceKey, string url, long from, string? etag, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, deviceKey);
        if (from > 0)
        {
            request.Headers.Range = new RangeHeaderValue(from, null);
            if (etag is not null && EntityTagHeaderValue.TryParse(etag, out var tag))
            {
                request.Headers.IfRange = new RangeConditionHeaderValue(tag);
            }
        }

        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    private async Task<ApiOutcome> SendAsync(string route, string deviceKey, HttpContent content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, deviceKey);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            return ApiOutcome.From(response);
        }
        catch (Exception exception) when (IsCallFailure(exception, cancellationToken))
        {
            return ApiOutcome.Unavailable(exception.Message);
        }
    }

    /// <summary>The API could not be reached or did not answer in time; not a bug, not shutdown.</summary>
    private static bool IsCallFailure(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        HttpRequestException or JsonException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };
}

public enum ApiOutcomeKind
{
    /// <summary>2xx.</summary>
    Accepted,

    /// <summary>429: wait for <see cref="ApiOutcome.RetryAfter"/>, keep what was not sent.</summary>
    RateLimited,

    /// <summary>401: the API does not know the key; register again.</summary>
    Unauthorized,

    /// <summary>Another 4xx: this request will never be taken as it is.</summary>
    Rejected,

    /// <summary>5xx, connection refused, timeout: back off and try again.</summary>
    Unavailable,
}

/// <summary>How a call to the API went, with the server's Retry-After when it gave one and its status (0: no answer).</summary>
public readonly record struct ApiOutcome(ApiOutcomeKind Kind, TimeSpan? RetryAfter, string Reason, int Status = 0)
{
    public static readonly ApiOutcome Ok = new(ApiOutcomeKind.Accepted, null, "accepted");

    public static ApiOutcome Unavailable(string reason) => new(ApiOutcomeKind.Unavailable, null, reason);

    public static ApiOutcome From(HttpResponseMessage response)
    {
        var code = (int)response.StatusCode;
        var reason = $"{code} {response.StatusCode}";
        return (response.StatusCode switch
        {
            _ when response.IsSuccessStatusCode => Ok,
            HttpStatusCode.TooManyRequests => new(ApiOutcomeKind.RateLimited, RetryAfterOf(response.Headers.RetryAfter), reason),
            HttpStatusCode.Unauthorized => new(ApiOutcomeKind.Unauthorized, null, reason),
            HttpStatusCode.RequestTimeout => new(ApiOutcomeKind.Unavailable, RetryAfterOf(response.Headers.RetryAfter), reason),
            _ when code is >= 400 and < 500 => new(ApiOutcomeKind.Rejected, null, reason),
            _ => new(ApiOutcomeKind.Unavailable, RetryAfterOf(response.Headers.RetryAfter), reason),
        }) with { Status = code };
    }

    private static TimeSpan? RetryAfterOf(RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };
}
