using System.Globalization;
using System.Net.Http.Headers;
using Fleet.Contracts;
using Fields = Fleet.Contracts.FirmwareHttp.Fields;

namespace Fleet.Web.Services;

public sealed partial class FleetApiClient
{
    public async Task<FirmwareListResponse> ListFirmwareAsync(int page, int pageSize, CancellationToken cancellationToken) =>
        await GetAsync<FirmwareListResponse>(string.Create(CultureInfo.InvariantCulture, $"{FirmwareHttp.ReleasesRoute}?page={page}&pageSize={pageSize}&sort=-createdAt"), cancellationToken)
        ?? new FirmwareListResponse([], 0);

    /// <summary>Publishes a release: the artefact bytes and the fields as the API's multipart form names them.</summary>
    public Task<ApiResult<FirmwareReleaseResponse>> UploadFirmwareAsync(FirmwareUploadForm form, byte[] artefact, string fileName, CancellationToken cancellationToken) =>
        ChangeAsync<FirmwareReleaseResponse>(token =>
        {
            // Built per attempt: the resilience handler may send it again.
            var content = new MultipartFormDataContent();
            var file = new ByteArrayContent(artefact);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Add(file, Fields.File, fileName);
            content.Add(new StringContent(form.Version.Trim()), Fields.Version);
            content.Add(new StringContent(form.DeviceTypes), Fields.DeviceTypes);
            content.Add(new StringContent(form.HardwareRevisions), Fields.HardwareRevisions);
            content.Add(new StringContent(form.MinimumCurrentVersion.Trim()), Fields.MinimumCurrentVersion);
            content.Add(new StringContent(form.Notes), Fields.Notes);
            return http.PostAsync(FirmwareHttp.ReleasesRoute, content, token);
        }, FirmwareHttp.ReleasesRoute, cancellationToken);
}
