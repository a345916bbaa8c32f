using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace Fleet.Dashboard.Resources;

/// <summary>A resource as the AppHost's resource API describes it.</summary>
public sealed record AppHostResource(
    string Name,
    string Kind,
    string State,
    DateTimeOffset? StartedAt,
    int Restarts,
    IReadOnlyList<string> Urls,
    IReadOnlyList<int> ProcessIds,
    bool CanControl);

/// <summary>One line a child printed, numbered by the AppHost so a tail can ask for what came after.</summary>
public sealed record ConsoleLine(long Sequence, DateTimeOffset Time, string Resource, string Replica, string Text, bool IsError);

public enum ResourceAction
{
    Stop,
    Start,
    Restart,
}

/// <summary>
/// Talks to the AppHost's resource API (its URL and key come through configuration). Absent when the
/// dashboard runs on its own: then <see cref="IsConfigured"/> is false and the resource pages say so.
/// </summary>
public sealed class AppHostResourceClient(HttpClient http, IOptions<DashboardOptions> options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public bool IsConfigured => !string.IsNullOrWhiteSpace(options.Value.ResourceService.Url);

    public async Task<IReadOnlyList<AppHostResource>> ResourcesAsync(CancellationToken cancellationToken) =>
        IsConfigured ? await SendAsync<List<AppHostResource>>(HttpMethod.Get, "resources", cancellationToken) ?? [] : [];

    public async Task<IReadOnlyList<ConsoleLine>> ConsoleAsync(string resource, long after, CancellationToken cancellationToken) =>
        IsConfigured
            ? await SendAsync<List<ConsoleLine>>(HttpMethod.Get, $"resources/{Uri.EscapeDataString(resource)}/console?after={after}", cancellationToken) ?? []
            : [];

    public async Task ControlAsync(string resource, ResourceAction action, CancellationToken cancellationToken)
    {
        if (!IsConfigured)
        {
            throw new InvalidOperationException("The dashboard is not connected to an AppHost.");
        }

        await SendAsync<JsonElement>(HttpMethod.Post, $"resources/{Uri.EscapeDataString(resource)}/{action.ToString().ToLowerInvariant()}", cancellationToken);
    }

    private async Task<T?> SendAsync<T>(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        var settings = options.Value.ResourceService;
        using var request = new HttpRequestMessage(method, new Uri(new Uri(settings.Url!.TrimEnd('/') + "/"), path));
        if (!string.IsNullOrEmpty(settings.ApiKey))
        {
            request.Headers.Add(ResourceServiceOptions.ApiKeyHeader, settings.ApiKey);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        return response.Content.Headers.ContentLength == 0 ? default : await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);
    }
}
