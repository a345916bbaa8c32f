using System.Globalization;
using Fleet.Contracts;

namespace Fleet.Web.Services;

public sealed partial class FleetApiClient
{
    /// <summary>The device's commands, newest first, with its state of each.</summary>
    public async Task<PagedList<DeviceCommandResponse>> ListDeviceCommandsAsync(Guid deviceId, int pageSize, CancellationToken cancellationToken) =>
        await GetAsync<PagedList<DeviceCommandResponse>>(string.Create(CultureInfo.InvariantCulture, $"{CommandsHttp.OfDevice(deviceId)}?pageSize={pageSize}"), cancellationToken)
        ?? new PagedList<DeviceCommandResponse>([], 0);

    /// <summary>A refusal (validation, device not found or not active) is an answer with the API's field errors.</summary>
    public Task<ApiResult<CommandResponse>> SendCommandAsync(SendCommandRequest request, CancellationToken cancellationToken) =>
        PostJsonAsync<SendCommandRequest, CommandResponse>(CommandsHttp.Route, request, cancellationToken);

    /// <summary>Fails every delivery of the command still queued or sent; the API records the signed-in operator.</summary>
    public Task<ApiResult<CommandResponse>> CancelCommandAsync(Guid commandId, string? reason, CancellationToken cancellationToken) =>
        PostJsonAsync<CancelCommandRequest, CommandResponse>($"{CommandsHttp.Command(commandId)}/cancel", new CancelCommandRequest(reason), cancellationToken);

    /// <summary>Points stored per minute over the last <paramref name="minutes"/>, or null when the API cannot say.</summary>
    public Task<IngestRateResponse?> GetIngestRateAsync(int minutes, CancellationToken cancellationToken) =>
        GetAsync<IngestRateResponse>(string.Create(CultureInfo.InvariantCulture, $"{StatsHttp.IngestRoute}?minutes={minutes}"), cancellationToken);
}
