using System.Net.Http.Json;
using System.Text.Json;

namespace Fleet.Web.Services;

/// <summary>
/// Asks the API's <c>/health</c> once per call, without retries: a probe must report what it sees now,
/// and the API answers 503 (with the same JSON body) when a dependency is down.
/// </summary>
public sealed class ApiHealthProbe(HttpClient http, TimeProvider time)
{
    public async Task<ApiHealth> CheckAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(Extensions.HealthEndpointPath, cancellationToken);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return ApiHealth.NotReached(exception is TaskCanceledException
                ? $"No answer within {http.Timeout.TotalSeconds:0} s."
                : exception.Message);
        }

        using (response)
        {
            var report = await ReadReportAsync(response, cancellationToken);
            var roundTripMs = time.GetElapsedTime(started).TotalMilliseconds;
            if (report is null)
            {
                return new ApiHealth(
                    true,
                    new DependencyHealth(DependencyHealth.Unhealthy, $"/health answered {(int)response.StatusCode} without a health report.", roundTripMs),
                    new Dictionary<string, DependencyHealth>());
            }

            var dependencies = (report.Entries ?? []).ToDictionary(
                entry => entry.Key,
                entry => new DependencyHealth(entry.Value.Status, entry.Value.Description, entry.Value.DurationMs));
            return new ApiHealth(
                true,
                new DependencyHealth(report.Status, $"/health answered {(int)response.StatusCode}.", roundTripMs),
                dependencies);
        }
    }

    private static async Task<HealthReportBody?> ReadReportAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<HealthReportBody>(JsonSerializerOptions.Web, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record HealthReportBody(string Status, double DurationMs, Dictionary<string, HealthEntryBody>? Entries);

    private sealed record HealthEntryBody(string Status, string? Description, double DurationMs);
}
