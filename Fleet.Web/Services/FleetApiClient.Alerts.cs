using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Contracts;

namespace Fleet.Web.Services;

public sealed partial class FleetApiClient
{
    public const string AlertsRoute = "/api/v1/alerts";
    public const string AlertRulesRoute = "/api/v1/alert-rules";

    public async Task<AlertListResponse> ListAlertsAsync(string? state, string? severity, int page, int pageSize, CancellationToken cancellationToken)
    {
        var route = string.Create(CultureInfo.InvariantCulture, $"{AlertsRoute}?page={page}&pageSize={pageSize}");
        route += state is null ? "" : "&state=" + Uri.EscapeDataString(state);
        route += severity is null ? "" : "&severity=" + Uri.EscapeDataString(severity);
        return await GetAsync<AlertListResponse>(route, cancellationToken) ?? new AlertListResponse([], 0);
    }

    public async Task<AlertCountsResponse> GetAlertCountsAsync(CancellationToken cancellationToken) =>
        await GetAsync<AlertCountsResponse>($"{AlertsRoute}/counts", cancellationToken)
        ?? new AlertCountsResponse(new Dictionary<string, int>(), new Dictionary<string, int>());

    /// <summary>Acknowledge or resolve; a 409 (the alert moved on meanwhile) is an answer.</summary>
    public Task<ApiResult<AlertResponse>> ChangeAlertAsync(Guid id, AlertCommand command, string? note, CancellationToken cancellationToken) =>
        PostJsonAsync<AlertActionRequest, AlertResponse>(
            $"{AlertsRoute}/{id}/{(command == AlertCommand.Acknowledge ? "acknowledge" : "resolve")}",
            new AlertActionRequest(Note: string.IsNullOrWhiteSpace(note) ? null : note.Trim()), cancellationToken);

    public async Task<AlertRuleListResponse> ListAlertRulesAsync(CancellationToken cancellationToken) =>
        await GetAsync<AlertRuleListResponse>($"{AlertRulesRoute}?pageSize=500", cancellationToken) ?? new AlertRuleListResponse([], 0);

    public Task<ApiResult<AlertRuleResponse>> SaveAlertRuleAsync(Guid? id, AlertRuleRequest request, CancellationToken cancellationToken) =>
        id is { } existing
            ? ChangeAsync<AlertRuleResponse>(token => http.PutAsJsonAsync($"{AlertRulesRoute}/{existing}", request, JsonSerializerOptions.Web, token), AlertRulesRoute, cancellationToken)
            : PostJsonAsync<AlertRuleRequest, AlertRuleResponse>(AlertRulesRoute, request, cancellationToken);

    /// <summary>Null when deleted (or already gone), else why not.</summary>
    public Task<ApiProblem?> DeleteAlertRuleAsync(Guid id, CancellationToken cancellationToken) =>
        DeleteAsync($"{AlertRulesRoute}/{id}", cancellationToken);
}
