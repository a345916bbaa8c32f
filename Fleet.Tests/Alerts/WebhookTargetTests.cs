using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.Api.Alerts;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.Alerts;

/// <summary>
/// Without an allow-list, webhooks reach public addresses only: a rule naming loopback or the metadata address is a 400,
/// and the webhook client itself refuses to connect to loopback even for a URL that got past the rule (DNS rebinding).
/// </summary>
public sealed class WebhookTargetTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://127.0.0.1:8080/hook")]
    [InlineData("http://localhost:8080/hook")]
    [InlineData("http://192.168.1.10/hook")]
    public async Task A_rule_whose_webhook_reaches_a_private_loopback_or_link_local_address_is_a_400(string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/alert-rules")
        {
            Content = JsonContent.Create(new AlertRuleRequest("Hook", "battery_low", "info", WebhookUrl: url)),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);

        using var response = await _http.SendAsync(request, Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation))!.Errors.Keys.ShouldContain("webhookUrl");
    }

    [Fact]
    public async Task The_webhook_client_does_not_connect_to_loopback_unless_it_is_allowed()
    {
        var hits = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var receiver = builder.Build();
        receiver.MapPost("/hook", () =>
        {
            Interlocked.Increment(ref hits);
            return Results.Ok();
        });
        await receiver.StartAsync(Cancellation);
        var url = receiver.Urls.First() + "/hook";

        using var refused = fixture.Api.Services.GetRequiredService<IHttpClientFactory>().CreateClient(AlertNotifier.WebhookClient);
        await Should.ThrowAsync<HttpRequestException>(() => refused.PostAsJsonAsync(url, new { }, Cancellation));
        Volatile.Read(ref hits).ShouldBe(0);

        using var allowedApi = fixture.Api.WithWebHostBuilder(web => web.UseSetting("Fleet:Alerts:WebhookAllowedNetworks:0", "127.0.0.1/32"));
        using var allowed = allowedApi.Services.GetRequiredService<IHttpClientFactory>().CreateClient(AlertNotifier.WebhookClient);
        using var response = await allowed.PostAsJsonAsync(url, new { }, Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        Volatile.Read(ref hits).ShouldBe(1);
    }

    public void Dispose() => _http.Dispose();
}
