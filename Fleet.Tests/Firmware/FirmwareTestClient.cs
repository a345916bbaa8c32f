using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Firmware;

/// <summary>Publishing releases over HTTP as an operator, for tests.</summary>
public static class FirmwareTestClient
{
    public static HttpClient AsOperator(this HttpClient http)
    {
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
        return http;
    }

    public static MultipartFormDataContent ReleaseForm(
        byte[]? artefact, string? version, string? deviceTypes = "meter", string? hardwareRevisions = null, string? minimumCurrentVersion = null, string? notes = null)
    {
        var form = new MultipartFormDataContent();
        if (artefact is not null)
        {
            var file = new ByteArrayContent(artefact);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(file, FirmwareHttp.Fields.File, "firmware.bin");
        }

        void Add(string name, string? value)
        {
            if (value is not null)
            {
                form.Add(new StringContent(value), name);
            }
        }

        Add(FirmwareHttp.Fields.Version, version);
        Add(FirmwareHttp.Fields.DeviceTypes, deviceTypes);
        Add(FirmwareHttp.Fields.HardwareRevisions, hardwareRevisions);
        Add(FirmwareHttp.Fields.MinimumCurrentVersion, minimumCurrentVersion);
        Add(FirmwareHttp.Fields.Notes, notes);
        return form;
    }

    /// <summary>Publishes a release as the operator and returns it; the HTTP client must carry the operator token.</summary>
    public static async Task<FirmwareReleaseResponse> PublishAsync(
        this HttpClient operatorHttp, string version, byte[] artefact, CancellationToken cancellationToken, string deviceTypes = "meter", string? hardwareRevisions = null, string? minimumCurrentVersion = null)
    {
        using var form = ReleaseForm(artefact, version, deviceTypes, hardwareRevisions, minimumCurrentVersion);
        using var response = await operatorHttp.PostAsync(FirmwareHttp.ReleasesRoute, form, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"Publish {version}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return (await response.Content.ReadFromJsonAsync<FirmwareReleaseResponse>(cancellationToken))!;
    }
}
