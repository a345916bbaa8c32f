using System.Net.Http.Json;
using Fleet.Contracts;

namespace Fleet.AlertBench;

/// <summary>The rules an operator starts with, over the whole fleet: one of each device rule kind.</summary>
internal static class DefaultRules
{
    private static readonly AlertRuleRequest[] Rules =
    [
        new("bench: battery low", "battery_low", "warning", Value: 20, ForSeconds: 60),
        new("bench: offline", "connectivity", "critical", Status: "offline", ForSeconds: 0),
        new("bench: sequence gaps", "sequence_gaps", "warning", Value: 0.05, ForSeconds: 300),
        new("bench: battery degradation", "battery_degradation", "warning", Value: 3, ForSeconds: 600),
        new("bench: hot", "metric_threshold", "critical", Metric: "temperature", Op: "gt", Value: 45, ForSeconds: 30),
    ];

    /// <summary>Creates the rules not there yet (by name); returns the names of those in force.</summary>
    public static async Task<IReadOnlyList<string>> EnsureAsync(HttpClient http)
    {
        var existing = (await http.GetFromJsonAsync<AlertRuleListResponse>("/api/v1/alert-rules?pageSize=500"))!.Items.Select(r => r.Name).ToHashSet();
        foreach (var rule in Rules.Where(r => !existing.Contains(r.Name!)))
        {
            using var response = await http.PostAsJsonAsync("/api/v1/alert-rules", rule);
            response.EnsureSuccessStatusCode();
        }

        return [.. Rules.Select(r => r.Name!)];
    }
}
