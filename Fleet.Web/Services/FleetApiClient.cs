using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Contracts;
using Microsoft.Extensions.Options;

namespace Fleet.Web.Services;

/// <summary>One dependency's health as the API reports it.</summary>
public sealed record HealthEntry(string Status, string? Description, double DurationMs);

/// <summary>The API's <c>/health</c> answer, or why there was none.</summary>
public sealed record ApiHealth(bool Reachable, string Status, IReadOnlyDictionary<string, HealthEntry> Entries, string? Error)
{
    public static ApiHealth Unreachable(string error) => new(false, "Unreachable", new Dictionary<string, HealthEntry>(), error);
}

public sealed class OperatorOptions
{
    public string OperatorToken { get; set; } = "";
}

/// <summary>Typed client for Fleet.Api; <c>http://api</c> is resolved by service discovery.</summary>
public sealed class FleetApiClient(HttpClient http)
{
    public async Task<ApiHealth> GetHealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            // /health answers 503 with the same JSON body when a dependency is down.
            using var response = await http.GetAsync("/health", cancellationToken);
            var body = await response.Content.ReadFromJsonAsync<HealthBody>(JsonSerializerOptions.Web, cancellationToken);
            return body is null
                ? ApiHealth.Unreachable($"empty health answer ({(int)response.StatusCode})")
                : new ApiHealth(true, body.Status, body.Entries ?? [], null);
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return ApiHealth.Unreachable(exception.Message);
        }
    }

    public async Task<FleetStatsResponse?> GetFleetStatsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await http.GetFromJsonAsync<FleetStatsResponse>(FleetHttp.FleetStatsRoute, cancellationToken);
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private sealed record HealthBody(string Status, Dictionary<string, HealthEntry>? Entries);
}

/// <summary>Adds the operator token to every call the UI makes to the API.</summary>
public sealed class OperatorTokenHandler(IOptions<OperatorOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, options.Value.OperatorToken);
        return base.SendAsync(request, cancellationToken);
    }
}

public static class FleetApiClientExtensions
{
    public static IHostApplicationBuilder AddFleetApiClient(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<OperatorOptions>(builder.Configuration.GetSection("Fleet"));
        builder.Services.AddTransient<OperatorTokenHandler>();
        builder.Services.AddHttpClient<FleetApiClient>(http =>
            {
                http.BaseAddress = new Uri("http://api");
                http.Timeout = TimeSpan.FromSeconds(10);
            })
            .AddHttpMessageHandler<OperatorTokenHandler>();
        return builder;
    }
}
