using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Tests.Firmware;

/// <summary>A device downloads only a release a running rollout has offered it; any other release is a 404 problem.</summary>
public sealed class FirmwareDownloadRuleTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly HttpClient _operator = fixture.Api.CreateClient().AsOperator();
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_sensor_cannot_download_a_release_published_only_for_cameras()
    {
        var sensor = await RegisterAsync("sensor", "rev-a");
        var cameraRelease = await _operator.PublishAsync($"3.{Random.Shared.Next(1_000_000)}.0", [9, 9, 9], Cancellation, deviceTypes: "camera", hardwareRevisions: "rev-z");

        using var response = await DownloadAsync(sensor.DeviceKey, cameraRelease.Id);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await response.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!.Status.ShouldBe(404);
    }

    [Fact]
    public async Task A_release_offered_to_one_device_is_not_downloadable_by_another_of_the_same_type()
    {
        var offered = await RegisterAsync("meter", "rev-a");
        var other = await RegisterAsync("meter", "rev-a");
        var release = await _operator.PublishAsync($"3.{Random.Shared.Next(1_000_000)}.1", [1, 2, 3], Cancellation);
        await FirmwareOffers.OfferAsync(_operator, release.Id, offered.DeviceId, Cancellation);

        await Eventually.TrueAsync(async () =>
        {
            using var download = await DownloadAsync(offered.DeviceKey, release.Id);
            return download.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(30), "the offered device to be allowed its download", Cancellation);
        using var response = await DownloadAsync(other.DeviceKey, release.Id);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private async Task<RegisterDeviceResponse> RegisterAsync(string type, string revision) =>
        await _http.RegisterDeviceAsync(DeviceClient.Registration($"FW-{Guid.NewGuid():N}") with { Type = type, HardwareRevision = revision }, Cancellation);

    private async Task<HttpResponseMessage> DownloadAsync(string key, Guid releaseId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, FirmwareHttp.Download(releaseId));
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, key);
        return await _http.SendAsync(request, Cancellation);
    }

    public void Dispose()
    {
        _operator.Dispose();
        _http.Dispose();
    }
}
