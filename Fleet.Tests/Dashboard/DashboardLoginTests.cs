using System.Net;

namespace Fleet.Tests.Dashboard;

public sealed class DashboardLoginTests
{
    [Fact]
    public async Task With_a_browser_token_the_query_api_needs_it_as_header_or_login_cookie_and_otlp_and_health_stay_open()
    {
        await using var dashboard = await DashboardServer.StartAsync(settings: new Dictionary<string, string?> { ["Dashboard:Frontend:BrowserToken"] = "let-me-in" });
        var cancellation = TestContext.Current.CancellationToken;

        (await dashboard.Client.GetAsync("/api/traces", cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await dashboard.Client.GetAsync("/", cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await dashboard.Client.GetAsync("/health", cancellation)).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var withHeader = new HttpRequestMessage(HttpMethod.Get, "/api/traces");
        withHeader.Headers.Add("x-dashboard-token", "let-me-in");
        (await dashboard.Client.SendAsync(withHeader, cancellation)).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var wrongHeader = new HttpRequestMessage(HttpMethod.Get, "/api/traces");
        wrongHeader.Headers.Add("x-dashboard-token", "guess");
        (await dashboard.Client.SendAsync(wrongHeader, cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = new Uri(dashboard.FrontendUrl) };
        (await browser.GetAsync("/login?t=guess", cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await browser.GetAsync("/login?t=let-me-in", cancellation)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await browser.GetAsync("/api/traces", cancellation)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var (status, _) = await OtlpSamples.SendGrpcAsync(dashboard.GrpcUrl, OtlpSamples.OneSpan("still-open"), dashboard.ApiKey);
        status.ShouldBe("0");
    }

    [Fact]
    public async Task Bound_beyond_loopback_without_a_browser_token_it_refuses_to_start()
    {
        var exception = await Should.ThrowAsync<InvalidOperationException>(() => DashboardServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Dashboard:Frontend:Url"] = "http://0.0.0.0:0",
        }));
        exception.Message.ShouldContain("Dashboard:Frontend:BrowserToken");
    }
}
