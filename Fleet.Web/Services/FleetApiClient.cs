using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.Web.Identity;
using Microsoft.AspNetCore.Http;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Fleet.Web.Services;

/// <summary>
/// Typed client for the API's operator endpoints; <c>http://api</c> is resolved by service discovery. Each call
/// tells <see cref="ApiReachability"/> whether the API answered, and throws <see cref="FleetApiException"/> when it did not.
/// </summary>
/// <remarks>
/// <c>caller</c> is the DI scope the client was resolved from: the circuit's, or the request's while
/// prerendering. The token handler runs in the HttpClient factory's own scope, so each call names the caller's scope for
/// it, also when a live update or a timer makes the call outside any inbound circuit activity.
/// </remarks>
public sealed partial class FleetApiClient(HttpClient http, ApiReachability reachability, ILogger<FleetApiClient> logger, IServiceProvider? caller = null)
{
    private readonly CircuitServicesAccessor? _callerAccessor = caller?.GetService<CircuitServicesAccessor>();

    /// <summary>The fleet's counts, or null when the API cannot give them (not deployed yet, refused, down).</summary>
    public async Task<FleetStatsResponse?> GetFleetStatsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await GetAsync<FleetStatsResponse>(FleetHttp.FleetStatsRoute, cancellationToken);
        }
        catch (FleetApiException exception)
        {
            LogStatsUnavailable(logger, FleetHttp.FleetStatsRoute, exception);
            return null;
        }
    }

    public async Task<DeviceListResponse> ListDevicesAsync(DeviceQuery query, CancellationToken cancellationToken) =>
        await GetAsync<DeviceListResponse>(query.ToPathAndQuery(), cancellationToken)
        ?? throw new FleetApiException("The API answered the device list with nothing.");

    /// <summary>The device and its latest heartbeat, or null when the registry does not know it.</summary>
    public Task<DeviceDetail?> GetDeviceAsync(Guid id, CancellationToken cancellationToken) =>
        GetAsync<DeviceDetail>($"{FleetHttp.DevicesRoute}/{id}", cancellationToken);

    public async Task<DeviceEventsResponse> GetEventsAsync(Guid id, int pageSize, CancellationToken cancellationToken) =>
        await GetAsync<DeviceEventsResponse>(string.Create(CultureInfo.InvariantCulture, $"{FleetHttp.DevicesRoute}/{id}/events?pageSize={pageSize}"), cancellationToken)
        ?? new DeviceEventsResponse([], 0);

    public async Task<IReadOnlyList<LatestMetric>> GetLatestMetricsAsync(Guid id, CancellationToken cancellationToken) =>
        await GetAsync<List<LatestMetric>>($"{FleetHttp.DevicesRoute}/{id}/telemetry/latest", cancellationToken) ?? [];

    public async Task<TelemetryAggregatedResponse> GetAggregatedAsync(
        Guid id, string metric, string window, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        await GetAsync<TelemetryAggregatedResponse>(
            $"{FleetHttp.DevicesRoute}/{id}/telemetry/aggregated?metric={Uri.EscapeDataString(metric)}&window={Uri.EscapeDataString(window)}" +
            $"&from={Uri.EscapeDataString(from.UtcDateTime.ToString("O", CultureInfo.InvariantCulture))}&to={Uri.EscapeDataString(to.UtcDateTime.ToString("O", CultureInfo.InvariantCulture))}",
            cancellationToken)
        ?? new TelemetryAggregatedResponse(metric, window, [], 0);

    /// <summary>POST /{id}/activate|suspend|retire; a 409 is an answer (the refusal), not a failure.</summary>
    public async Task<LifecycleChangeResult> ChangeLifecycleAsync(Guid id, LifecycleAction action, CancellationToken cancellationToken)
    {
        var route = $"{FleetHttp.DevicesRoute}/{id}/{action.ToString().ToLowerInvariant()}";
        using var response = await SendAsync(() => http.PostAsync(route, content: null, cancellationToken), route);
        if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            var problem = ApiProblem.From(response.StatusCode, await ReadProblemAsync(response, cancellationToken));
            return new LifecycleChangeResult(null, response.StatusCode == HttpStatusCode.NotFound && problem.Errors.Count == 0
                ? "The device is not in the registry."
                : problem.Message);
        }

        await EnsureSuccessAsync(response, route, cancellationToken);
        return new LifecycleChangeResult(await ReadAsync<DeviceSummary>(response, route, cancellationToken), null);
    }

    private async Task<T?> GetAsync<T>(string route, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await SendAsync(() => http.GetAsync(route, cancellationToken), route);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, route, cancellationToken);
        return await ReadAsync<T>(response, route, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> send, string route)
    {
        if (_callerAccessor is not null)
        {
            _callerAccessor.Services = caller;
        }

        try
        {
            var response = await send();
            reachability.Answered();
            return response;
        }
        catch (HttpRequestException exception)
        {
            throw Unreachable($"The API cannot be reached ({exception.Message}).", route, exception);
        }
        catch (Exception exception) when (exception is TimeoutRejectedException or BrokenCircuitException
            or TaskCanceledException { InnerException: TimeoutException })
        {
            throw Unreachable(exception is BrokenCircuitException
                ? "The API failed repeatedly; calls pause for a moment."
                : $"The API did not answer within {http.Timeout.TotalSeconds:0} s.", route, exception);
        }
    }

    private FleetApiException Unreachable(string problem, string route, Exception exception)
    {
        LogApiUnreachable(logger, route, exception);
        reachability.Failed(problem);
        return new FleetApiException(problem, exception);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string route, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            // The UI refreshes tokens before they expire, so a refusal of the token means the session is over.
            throw Identity.OperatorSession.Ended();
        }

        var problem = await ReadProblemAsync(response, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new FleetApiException(ApiProblem.From(response.StatusCode, problem).Message);
        }

        var message = $"The API answered {(int)response.StatusCode} to {route.Split('?')[0]}: {problem?.Detail ?? problem?.Title ?? response.ReasonPhrase}";
        if (problem is HttpValidationProblemDetails { Errors.Count: > 0 } validation)
        {
            message += " " + string.Join("; ", validation.Errors.Select(error => $"{error.Key} {string.Join(" ", error.Value)}"));
        }

        throw new FleetApiException(message);
    }

    private static async Task<T?> ReadAsync<T>(HttpResponseMessage response, string route, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(JsonSerializerOptions.Web, cancellationToken);
        }
        catch (JsonException exception)
        {
            throw new FleetApiException($"The API's answer to {route.Split('?')[0]} is not what the UI expects.", exception);
        }
    }

    private static async Task<HttpValidationProblemDetails?> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<HttpValidationProblemDetails>(JsonSerializerOptions.Web, cancellationToken);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "GET {Route} gave no stats")]
    private static partial void LogStatsUnavailable(ILogger logger, string route, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The API did not answer {Route}")]
    private static partial void LogApiUnreachable(ILogger logger, string route, Exception exception);
}
