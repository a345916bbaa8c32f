using System.Net;
using System.Net.Http.Json;
using System.Text;
using Fleet.Contracts;
using Fleet.Tests.Firmware;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Tests.Api;

/// <summary>What <see cref="ApiFuzzTests"/> found answering 500, each pinned by itself: every one is a 4xx problem now.</summary>
public sealed class FuzzFindingsTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly HttpClient _operator = fixture.Api.CreateClient().AsOperator();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/api/v1/devices?page=2147483647&pageSize=500")]
    [InlineData("/api/v1/audit?page=2147483647")]
    [InlineData("/api/v1/commands?page=4294969&pageSize=500")]
    public async Task A_page_whose_rows_to_skip_overflow_is_a_400_naming_page(string route)
    {
        using var response = await _operator.GetAsync(route, Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation))!.Errors.Keys.ShouldBe(["page"]);
    }

    [Fact]
    public async Task Telemetry_times_with_an_offset_are_read_as_the_instant_they_name()
    {
        var device = await _operator.RegisterDeviceAsync("FUZZ-FOUND-OFFSET", Cancellation);

        using var history = await _operator.GetAsync($"/api/v1/devices/{device.DeviceId}/telemetry?from=2026-01-01T00:00:00%2B05:00", Cancellation);
        using var buckets = await _operator.GetAsync($"/api/v1/devices/{device.DeviceId}/telemetry/aggregated?metric=t&from=2026-12-01T00:00:00-03:00&window=1h", Cancellation);

        history.StatusCode.ShouldBe(HttpStatusCode.OK);
        buckets.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("telemetry?to=0001-01-01T00:00:00Z", "to")]
    [InlineData("telemetry/aggregated?metric=t&to=0001-01-01", "to")]
    public async Task Telemetry_times_outside_1970_to_9999_are_a_400_naming_them(string query, string field)
    {
        using var response = await _operator.GetAsync($"/api/v1/devices/{Guid.NewGuid()}/{query}", Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation))!.Errors.Keys.ShouldContain(field);
    }

    [Fact]
    public async Task JSON_in_a_charset_other_than_UTF_8_is_a_415_problem()
    {
        using var content = new StringContent("{\"name\":\"x\",\"kind\":\"battery_low\",\"severity\":\"info\"}");
        content.Headers.Remove("Content-Type");
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=utf-7");

        using var response = await _operator.PostAsync("/api/v1/alert-rules", content, Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Theory]
    [InlineData("multipart/form-data", HttpStatusCode.BadRequest)]
    [InlineData(null, HttpStatusCode.UnsupportedMediaType)]
    public async Task A_firmware_upload_that_is_no_readable_form_is_a_4xx_problem(string? contentType, HttpStatusCode expected)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("--x\r\nnot a form"));
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using var response = await _operator.PostAsync(FirmwareHttp.ReleasesRoute, content, Cancellation);

        response.StatusCode.ShouldBe(expected);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    public void Dispose() => _operator.Dispose();
}
