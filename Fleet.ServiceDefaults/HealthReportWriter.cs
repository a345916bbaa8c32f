using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>Writes a health report as JSON: overall status plus one entry per check, so the UI can show each dependency.</summary>
public static class HealthReportWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new HealthReportBody(
            report.Status.ToString(),
            report.TotalDuration.TotalMilliseconds,
            report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new HealthEntryBody(entry.Value.Status.ToString(), entry.Value.Description ?? entry.Value.Exception?.Message, entry.Value.Duration.TotalMilliseconds)));
        return JsonSerializer.SerializeAsync(context.Response.Body, body, JsonSerializerOptions.Web, context.RequestAborted);
    }

    private sealed record HealthReportBody(string Status, double DurationMs, Dictionary<string, HealthEntryBody> Entries);

    private sealed record HealthEntryBody(string Status, string? Description, double DurationMs);
}
