using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Tests.Firmware;

public sealed class FirmwareApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly HttpClient _operator = fixture.Api.CreateClient().AsOperator();
    private readonly HttpClient _anonymous = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Publishing_stores_the_release_with_the_servers_sha256_and_size()
    {
        var artefact = Artefact(10_000, seed: 1);

        var release = await _operator.PublishAsync("1.0.0", artefact, Cancellation, deviceTypes: "meter, sensor", hardwareRevisions: "rev-a", minimumCurrentVersion: "0.9.0");

        release.Version.ShouldBe("1.0.0");
        release.Sha256.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(artefact)));
        release.Size.ShouldBe(10_000);
        release.DeviceTypes.ShouldBe(["meter", "sensor"]);
        release.HardwareRevisions.ShouldBe(["rev-a"]);
        release.MinimumCurrentVersion.ShouldBe("0.9.0");
        var detail = await _operator.GetFromJsonAsync<FirmwareReleaseResponse>($"{FirmwareHttp.ReleasesRoute}/{release.Id}", Cancellation);
        detail!.Sha256.ShouldBe(release.Sha256);
        detail.Version.ShouldBe("1.0.0");
        detail.DeviceTypes.ShouldBe(["meter", "sensor"]);
    }

    [Fact]
    public async Task The_same_version_twice_is_a_409_and_the_first_release_stays()
    {
        var first = await _operator.PublishAsync("1.1.0", Artefact(100, seed: 2), Cancellation);

        using var form = FirmwareTestClient.ReleaseForm(Artefact(200, seed: 3), "1.1.0");
        using var response = await _operator.PostAsync(FirmwareHttp.ReleasesRoute, form, Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await response.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!.Extensions["field"]!.ToString().ShouldBe("version");
        var kept = await _operator.GetFromJsonAsync<FirmwareReleaseResponse>($"{FirmwareHttp.ReleasesRoute}/{first.Id}", Cancellation);
        kept!.Size.ShouldBe(100);
    }

    [Theory]
    [InlineData("1.2", "version")]
    [InlineData("01.2.3", "version")]
    [InlineData("", "version")]
    [InlineData(null, "version")]
    public async Task A_missing_or_malformed_version_is_a_400_naming_the_field(string? version, string field)
    {
        using var form = FirmwareTestClient.ReleaseForm(Artefact(10, seed: 4), version);
        await ShouldBeValidationProblemAsync(await _operator.PostAsync(FirmwareHttp.ReleasesRoute, form, Cancellation), field);
    }

    [Fact]
    public async Task Other_bad_fields_are_400s_naming_each_field()
    {
        using var noFile = FirmwareTestClient.ReleaseForm(artefact: null, "3.0.0");
        await ShouldBeValidationProblemAsync(await _operator.PostAsync(FirmwareHttp.ReleasesRoute, noFile, Cancellation), "file");

        using var emptyFile = FirmwareTestClient.ReleaseForm([], "3.0.0");
        await ShouldBeValidationProblemAsync(await _operator.PostAsync(FirmwareHttp.ReleasesRoute, emptyFile, Cancellation), "file");

        using var noTypes = FirmwareTestClient.ReleaseForm(Artefact(10, seed: 5), "3.0.0", deviceTypes: null);
        await ShouldBeValidationProblemAsync(await _operator.PostAsync(FirmwareHttp.ReleasesRoute, noTypes, Cancellation), "deviceTypes");

        using var badMinimum = FirmwareTestClient.ReleaseForm(Artefact(10, seed: 5), "3.0.0", minimumCurrentVersion: "latest");
        await ShouldBeValidationProblemAsync(await _operator.PostAsync(FirmwareHttp.ReleasesRoute, badMinimum, Cancellation), "minimumCurrentVersion");

        using var json = JsonContent.Create(new { version = "3.0.0" });
        (await _operator.PostAsync(FirmwareHttp.ReleasesRoute, json, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);

        (await _operator.GetFromJsonAsync<FirmwareListResponse>($"{FirmwareHttp.ReleasesRoute}?pageSize=500", Cancellation))!
            .Items.ShouldNotContain(r => r.Version == "3.0.0");
    }

    [Fact]
    public async Task An_artefact_over_the_configured_limit_is_a_413()
    {
        using var small = fixture.Api.WithWebHostBuilder(web => web.UseSetting("Fleet:Firmware:MaxArtefactBytes", "1000"));
        using var http = small.CreateClient().AsOperator();

        using var form = FirmwareTestClient.ReleaseForm(Artefact(1001, seed: 6), "4.0.0");
        using var response = await http.PostAsync(FirmwareHttp.ReleasesRoute, form, Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        (await http.PostAsync(FirmwareHttp.ReleasesRoute, FirmwareTestClient.ReleaseForm(Artefact(1000, seed: 6), "4.0.0"), Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Lists_page_and_sort_by_semantic_version()
    {
        foreach (var version in new[] { "5.10.0", "5.2.0", "5.2.0-rc.1", "5.9.1" })
        {
            await _operator.PublishAsync(version, Artefact(16, seed: version.Length), Cancellation, deviceTypes: "sorter");
        }

        var all = await _operator.GetFromJsonAsync<FirmwareListResponse>($"{FirmwareHttp.ReleasesRoute}?sort=version&pageSize=500", Cancellation);
        all!.Items.Select(r => r.Version).Where(v => v.StartsWith("5.", StringComparison.Ordinal))
            .ShouldBe(["5.2.0-rc.1", "5.2.0", "5.9.1", "5.10.0"]);
        all.Total.ShouldBe(all.Items.Count);

        var newestFirst = await _operator.GetFromJsonAsync<FirmwareListResponse>($"{FirmwareHttp.ReleasesRoute}?sort=-version&pageSize=1", Cancellation);
        newestFirst!.Items.ShouldHaveSingleItem();
        newestFirst.Total.ShouldBe(all.Total);

        await ShouldBeValidationProblemAsync(await _operator.GetAsync($"{FirmwareHttp.ReleasesRoute}?sort=size", Cancellation), "sort");
        await ShouldBeValidationProblemAsync(await _operator.GetAsync($"{FirmwareHttp.ReleasesRoute}?pageSize=0", Cancellation), "pageSize");
    }

    [Fact]
    public async Task Operator_endpoints_need_the_operator_token_and_unknown_releases_are_404()
    {
        (await _anonymous.GetAsync(FirmwareHttp.ReleasesRoute, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var form = FirmwareTestClient.ReleaseForm(Artefact(10, seed: 7), "6.0.0");
        (await _anonymous.PostAsync(FirmwareHttp.ReleasesRoute, form, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await _operator.GetAsync($"{FirmwareHttp.ReleasesRoute}/{Guid.NewGuid()}", Cancellation)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private static byte[] Artefact(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    internal static async Task ShouldBeValidationProblemAsync(HttpResponseMessage response, string field)
    {
        using (response)
        {
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            var problem = await response.Content.ReadFromJsonAsync<HttpValidationProblemDetails>(Cancellation);
            problem!.Errors.Keys.ShouldContain(field);
        }
    }

    public void Dispose()
    {
        _operator.Dispose();
        _anonymous.Dispose();
    }
}
