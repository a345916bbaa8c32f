using System.Globalization;
using Fleet.Contracts;

namespace Fleet.Web.Services;

public sealed partial class FleetApiClient
{
    public async Task<PagedList<RolloutResponse>> ListRolloutsAsync(string? state, int page, int pageSize, CancellationToken cancellationToken) =>
        await GetAsync<PagedList<RolloutResponse>>(string.Create(CultureInfo.InvariantCulture,
            $"{RolloutHttp.RolloutsRoute}?page={page}&pageSize={pageSize}{(state is null ? "" : "&state=" + Uri.EscapeDataString(state))}"), cancellationToken)
        ?? new PagedList<RolloutResponse>([], 0);

    /// <summary>The rollout, or null when the API does not know it.</summary>
    public Task<RolloutResponse?> GetRolloutAsync(Guid id, CancellationToken cancellationToken) =>
        GetAsync<RolloutResponse>(RolloutHttp.Rollout(id), cancellationToken);

    /// <summary>Gate evaluations, newest first; <paramref name="page"/> from 1.</summary>
    public async Task<PagedList<GateEvaluationResponse>> GetGatesAsync(Guid id, int page, int pageSize, CancellationToken cancellationToken) =>
        await GetAsync<PagedList<GateEvaluationResponse>>(string.Create(CultureInfo.InvariantCulture, $"{RolloutHttp.Action(id, "gates")}?page={page}&pageSize={pageSize}"), cancellationToken)
        ?? new PagedList<GateEvaluationResponse>([], 0);

    public async Task<PagedList<RolloutDeviceResponse>> GetRolloutDevicesAsync(Guid id, RolloutDeviceFilter filter, int page, int pageSize, CancellationToken cancellationToken) =>
        await GetAsync<PagedList<RolloutDeviceResponse>>(string.Create(CultureInfo.InvariantCulture,
            $"{RolloutHttp.Action(id, "devices")}?page={page}&pageSize={pageSize}{filter.Query}"), cancellationToken)
        ?? new PagedList<RolloutDeviceResponse>([], 0);

    public Task<ApiResult<RolloutPreviewResponse>> PreviewRolloutAsync(RolloutPreviewRequest request, CancellationToken cancellationToken) =>
        PostJsonAsync<RolloutPreviewRequest, RolloutPreviewResponse>(RolloutHttp.PreviewRoute, request, cancellationToken);

    public Task<ApiResult<RolloutResponse>> CreateRolloutAsync(CreateRolloutRequest request, CancellationToken cancellationToken) =>
        PostJsonAsync<CreateRolloutRequest, RolloutResponse>(RolloutHttp.RolloutsRoute, request, cancellationToken);

    /// <summary>POST /{id}/start|pause|...; the API records the signed-in operator from the access token.</summary>
    public Task<ApiResult<RolloutResponse>> ActOnRolloutAsync(Guid id, RolloutCommand command, string? reason, CancellationToken cancellationToken) =>
        PostJsonAsync<RolloutActionRequest, RolloutResponse>(RolloutHttp.Action(id, command.ToRoute()), new RolloutActionRequest(reason), cancellationToken);
}
