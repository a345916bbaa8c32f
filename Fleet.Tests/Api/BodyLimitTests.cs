using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Fleet.Contracts;
using Fleet.Tests.Firmware;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using System.Net.Http.Json;

namespace Fleet.Tests.Api;

/// <summary>Every route takes a body no larger than its largest valid one; past that, 413 problem details before the body is read.</summary>
public sealed class BodyLimitTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private const int TenMegabytes = 10 * 1024 * 1024;
    private readonly HttpClient _operator = fixture.Api.CreateClient().AsOperator();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("POST", "/api/v1/devices/register")]
    [InlineData("POST", "/api/v1/alert-rules")]
    [InlineData("PUT", "/api/v1/alert-rules/{guid}")]
    [InlineData("POST", "/api/v1/rollouts")]
    [InlineData("POST", "/api/v1/rollouts/preview")]
    [InlineData("POST", "/api/v1/commands/{guid}/cancel")]
    [InlineData("POST", "/api/v1/alerts/{guid}/acknowledge")]
    public async Task A_ten_megabyte_body_is_a_413_problem(string method, string route)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), route.Replace("{guid}", Guid.NewGuid().ToString(), StringComparison.Ordinal))
        {
            Content = Padded(TenMegabytes),
        };

        using var response = await _operator.SendAsync(request, Cancellation);

        await ShouldBeTooLargeAsync(response);
    }

    [Fact]
    public async Task A_heartbeat_of_ten_megabytes_is_a_413_problem()
    {
        var device = await _operator.RegisterDeviceAsync("LIMIT-BEAT", Cancellation);

        using var response = await _operator.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, device.DeviceKey, Padded(TenMegabytes), Cancellation);

        await ShouldBeTooLargeAsync(response);
    }

    [Fact]
    public async Task A_rollout_preview_naming_many_devices_fits_its_limit()
    {
        var ids = Enumerable.Range(0, 50_000).Select(_ => Guid.NewGuid()).ToArray();

        using var response = await _operator.PostAsJsonAsync("/api/v1/rollouts/preview", new { releaseId = Guid.NewGuid(), target = new { deviceIds = ids } }, Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, "read and validated (no such release), not refused for its size");
        (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation))!.Errors.Keys.ShouldBe(["releaseId"]);
    }

    private static StringContent Padded(int bytes)
    {
        var content = new StringContent($"{{\"pad\":\"{new string('x', bytes)}\"}}", Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static async Task ShouldBeTooLargeAsync(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await response.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!.Detail.ShouldNotBeNullOrEmpty();
    }

    public void Dispose() => _operator.Dispose();
}
