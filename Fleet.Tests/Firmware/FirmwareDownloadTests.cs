using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Firmware;

public sealed class FirmwareDownloadTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private const int Size = 300_000;
    private readonly HttpClient _operator = fixture.Api.CreateClient().AsOperator();
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private readonly byte[] _artefact = RandomNumberGenerator.GetBytes(Size);
    private FirmwareReleaseResponse _release = null!;
    private string _deviceKey = null!;
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _release = await _operator.PublishAsync($"1.0.{Random.Shared.Next(1_000_000)}", _artefact, Cancellation);
        var device = await _http.RegisterDeviceAsync($"DL-{Guid.NewGuid():N}", Cancellation);
        _deviceKey = device.DeviceKey;
        await FirmwareOffers.OfferAsync(_operator, _release.Id, device.DeviceId, Cancellation);
        await Eventually.TrueAsync(async () =>
        {
            using var response = await DownloadAsync(request => request.Headers.Range = new RangeHeaderValue(0, 0));
            return response.StatusCode == HttpStatusCode.PartialContent;
        }, TimeSpan.FromSeconds(30), "the controller to enroll the device in the release's rollout", Cancellation);
    }

    [Fact]
    public async Task A_plain_download_is_the_whole_artefact_with_its_sha256_and_etag()
    {
        using var response = await DownloadAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsByteArrayAsync(Cancellation)).ShouldBe(_artefact);
        response.Headers.GetValues(FirmwareHttp.Sha256Header).Single().ShouldBe(_release.Sha256);
        response.Headers.ETag!.Tag.ShouldBe($"\"{_release.Sha256}\"");
        response.Headers.AcceptRanges.ShouldContain("bytes");
        response.Content.Headers.ContentLength.ShouldBe(Size);
    }

    [Theory]
    [InlineData("bytes=0-0", 0, 0)]
    [InlineData("bytes=1000-1999", 1000, 1999)]
    [InlineData("bytes=299000-", 299_000, Size - 1)]
    [InlineData("bytes=-10", Size - 10, Size - 1)]
    [InlineData("bytes=299990-400000", 299_990, Size - 1)]
    public async Task A_range_is_a_206_with_exactly_those_bytes(string range, int from, int to)
    {
        using var response = await DownloadAsync(request => request.Headers.TryAddWithoutValidation("Range", range));

        response.StatusCode.ShouldBe(HttpStatusCode.PartialContent);
        (await response.Content.ReadAsByteArrayAsync(Cancellation)).ShouldBe(_artefact[from..(to + 1)]);
        response.Content.Headers.ContentRange!.ToString().ShouldBe($"bytes {from}-{to}/{Size}");
        response.Headers.GetValues(FirmwareHttp.Sha256Header).Single().ShouldBe(_release.Sha256);
    }

    [Fact]
    public async Task Resuming_from_where_a_download_stopped_rebuilds_the_artefact()
    {
        using var head = await DownloadAsync(request => request.Headers.Range = new RangeHeaderValue(0, 123_456));
        using var tail = await DownloadAsync(request => request.Headers.Range = new RangeHeaderValue(123_457, null));

        var whole = (await head.Content.ReadAsByteArrayAsync(Cancellation)).Concat(await tail.Content.ReadAsByteArrayAsync(Cancellation)).ToArray();
        Convert.ToHexStringLower(SHA256.HashData(whole)).ShouldBe(_release.Sha256);
    }

    [Theory]
    [InlineData("bytes=300000-")]
    [InlineData("bytes=500000-600000")]
    [InlineData("bytes=-0")]
    public async Task A_range_past_the_end_is_a_416_naming_the_length(string range)
    {
        using var response = await DownloadAsync(request => request.Headers.TryAddWithoutValidation("Range", range));

        response.StatusCode.ShouldBe(HttpStatusCode.RequestedRangeNotSatisfiable);
        response.Content.Headers.ContentRange!.ToString().ShouldBe($"bytes */{Size}");
    }

    [Fact]
    public async Task Multi_ranges_and_stale_if_range_get_the_whole_artefact()
    {
        using var multi = await DownloadAsync(request => request.Headers.TryAddWithoutValidation("Range", "bytes=0-1,5-6"));
        multi.StatusCode.ShouldBe(HttpStatusCode.OK);
        multi.Content.Headers.ContentLength.ShouldBe(Size);

        using var stale = await DownloadAsync(request =>
        {
            request.Headers.TryAddWithoutValidation("Range", "bytes=0-1");
            request.Headers.TryAddWithoutValidation("If-Range", "\"0000\"");
        });
        stale.StatusCode.ShouldBe(HttpStatusCode.OK);

        using var fresh = await DownloadAsync(request =>
        {
            request.Headers.TryAddWithoutValidation("Range", "bytes=0-1");
            request.Headers.TryAddWithoutValidation("If-Range", $"\"{_release.Sha256}\"");
        });
        fresh.StatusCode.ShouldBe(HttpStatusCode.PartialContent);
    }

    [Fact]
    public async Task A_matching_if_none_match_is_a_304_without_a_body()
    {
        using var response = await DownloadAsync(request => request.Headers.TryAddWithoutValidation("If-None-Match", $"\"{_release.Sha256}\""));

        response.StatusCode.ShouldBe(HttpStatusCode.NotModified);
        (await response.Content.ReadAsByteArrayAsync(Cancellation)).ShouldBeEmpty();

        using var other = await DownloadAsync(request => request.Headers.TryAddWithoutValidation("If-None-Match", "\"something-else\""));
        other.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Downloads_need_a_device_key_and_an_existing_release()
    {
        using var anonymous = new HttpRequestMessage(HttpMethod.Get, FirmwareHttp.Download(_release.Id));
        (await _http.SendAsync(anonymous, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        using var wrongKey = new HttpRequestMessage(HttpMethod.Get, FirmwareHttp.Download(_release.Id));
        wrongKey.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, "not-a-key");
        (await _http.SendAsync(wrongKey, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        using var operatorToken = new HttpRequestMessage(HttpMethod.Get, FirmwareHttp.Download(_release.Id));
        operatorToken.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
        (await _http.SendAsync(operatorToken, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        using var unknown = await DownloadAsync(releaseId: Guid.NewGuid());
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private async Task<HttpResponseMessage> DownloadAsync(Action<HttpRequestMessage>? configure = null, Guid? releaseId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, FirmwareHttp.Download(releaseId ?? _release.Id));
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, _deviceKey);
        configure?.Invoke(request);
        return await _http.SendAsync(request, Cancellation);
    }

    public ValueTask DisposeAsync()
    {
        _operator.Dispose();
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
