using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Tests.Firmware;

/// <summary>Malformed firmware uploads: every one is a 4xx problem, never a 500, and nothing is published.</summary>
public sealed class FirmwareUploadHardeningTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly HttpClient _operator = fixture.Api.CreateClient().AsOperator();
    private readonly HttpClient _anonymous = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task No_body_and_no_content_type_is_a_415_problem()
    {
        using var response = await _operator.PostAsync(FirmwareHttp.ReleasesRoute, content: null, Cancellation);

        await ShouldBeProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task A_non_multipart_post_without_a_token_is_a_401_before_its_content_type_is_judged()
    {
        using var json = JsonContent.Create(new { version = "1.0.0" });
        using var response = await _anonymous.PostAsync(FirmwareHttp.ReleasesRoute, json, Cancellation);

        await ShouldBeProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_multipart_body_that_never_closes_is_a_400_problem()
    {
        var body = "--b\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n7.0.0\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n\r\nabc";

        using var response = await PostRawAsync(body, "multipart/form-data; boundary=b");

        await ShouldBeProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task More_than_1024_form_parts_is_a_400_problem()
    {
        var body = new StringBuilder();
        for (var i = 0; i < 1100; i++)
        {
            body.Append("--b\r\nContent-Disposition: form-data; name=\"deviceTypes\"\r\n\r\nmeter\r\n");
        }

        body.Append("--b--\r\n");

        using var response = await PostRawAsync(body.ToString(), "multipart/form-data; boundary=b");

        await ShouldBeProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_boundary_over_128_characters_is_a_400_problem()
    {
        var boundary = new string('x', 200);
        var body = $"--{boundary}\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n7.1.0\r\n--{boundary}--\r\n";

        using var response = await PostRawAsync(body, $"multipart/form-data; boundary={boundary}");

        await ShouldBeProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_device_type_with_nul_is_a_400_naming_the_field_and_nothing_is_published()
    {
        using var form = FirmwareTestClient.ReleaseForm([1, 2, 3], "7.2.0", deviceTypes: "meter\u0000x");

        await FirmwareApiTests.ShouldBeValidationProblemAsync(await _operator.PostAsync(FirmwareHttp.ReleasesRoute, form, Cancellation), "deviceTypes");
        (await _operator.GetFromJsonAsync<FirmwareListResponse>($"{FirmwareHttp.ReleasesRoute}?pageSize=500", Cancellation))!
            .Items.ShouldNotContain(r => r.Version == "7.2.0");
    }

    [Fact]
    public async Task Two_artefacts_in_one_form_are_a_400_naming_the_file()
    {
        using var form = FirmwareTestClient.ReleaseForm([1, 2, 3], "7.3.0");
        form.Add(new ByteArrayContent([4, 5, 6]), FirmwareHttp.Fields.File, "second.bin");

        await FirmwareApiTests.ShouldBeValidationProblemAsync(await _operator.PostAsync(FirmwareHttp.ReleasesRoute, form, Cancellation), "file");
    }

    private async Task<HttpResponseMessage> PostRawAsync(string body, string contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return await _operator.PostAsync(FirmwareHttp.ReleasesRoute, content, Cancellation);
    }

    private static async Task ShouldBeProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            response.StatusCode.ShouldBe(status);
            response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
            (await response.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!.Status.ShouldBe((int)status);
        }
    }

    public void Dispose()
    {
        _operator.Dispose();
        _anonymous.Dispose();
    }
}
