using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Contracts;

namespace Fleet.Web.Services;

/// <summary>Typed client for the API's operator endpoints; <c>http://api</c> is resolved by service discovery.</summary>
public sealed partial class FleetApiClient(HttpClient http, ILogger<FleetApiClient> logger)
{
    /// <summary>The fleet's counts, or null when the API cannot give them (not deployed yet, refused, down).</summary>
    public async Task<FleetStatsResponse?> GetFleetStatsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await http.GetFromJsonAsync<FleetStatsResponse>(FleetHttp.FleetStatsRoute, JsonSerializerOptions.Web, cancellationToken);
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogStatsUnavailable(logger, FleetHttp.FleetStatsRoute, exception);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "GET {Route} gave no stats")]
    private static partial void LogStatsUnavailable(ILogger logger, string route, Exception exception);
}
