using System.Net;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Api;

/// <summary>
/// Outside Development the API's description and its browsable reference are not served, and the break-glass token is
/// not accepted, unless a setting asks for them; /metrics stays open for scrapers.
/// </summary>
public sealed class ApiExposureTests(ApiExposureTests.Fixture fixture) : IClassFixture<ApiExposureTests.Fixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Production_serves_neither_the_OpenAPI_document_nor_Scalar_but_keeps_metrics()
    {
        using var http = fixture.Production.CreateClient();

        (await StatusAsync(http, "/openapi/v1.json")).ShouldBe(HttpStatusCode.NotFound);
        (await StatusAsync(http, "/scalar/v1")).ShouldBe(HttpStatusCode.NotFound);
        (await StatusAsync(http, "/metrics")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_setting_publishes_the_OpenAPI_document_in_Production()
    {
        using var http = fixture.PublishedDocument.CreateClient();

        (await StatusAsync(http, "/openapi/v1.json")).ShouldBe(HttpStatusCode.OK);
        (await StatusAsync(http, "/scalar/v1")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Production_refuses_the_break_glass_token_unless_a_setting_allows_it()
    {
        using var production = IssuerClient.Bearer(fixture.Production, ApiFactory.OperatorToken);
        (await StatusAsync(production, IdentityHttp.MeRoute)).ShouldBe(HttpStatusCode.Unauthorized);

        using var allowed = IssuerClient.Bearer(fixture.PublishedDocument, ApiFactory.OperatorToken);
        var me = await allowed.GetFromJsonAsync<MeResponse>(IdentityHttp.MeRoute, Cancellation);
        me.ShouldBe(new MeResponse("break-glass", FleetRoles.Admin, "break-glass"));
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, string route)
    {
        using var response = await http.GetAsync(route, Cancellation);
        return response.StatusCode;
    }

    /// <summary>Two APIs in the Production environment, one with <c>Fleet:Http:PublishApiReference</c> and <c>Fleet:Identity:BreakGlass</c>.</summary>
    public sealed class Fixture(BackingServers servers) : IAsyncLifetime
    {
        public ApiFactory Production { get; private set; } = null!;

        public ApiFactory PublishedDocument { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            Production = await ApiFactory.StartAsync(servers, TestContext.Current.CancellationToken,
                new Dictionary<string, string?> { ["environment"] = "Production" });
            PublishedDocument = await ApiFactory.StartAsync(servers, TestContext.Current.CancellationToken,
                new Dictionary<string, string?> { ["environment"] = "Production", ["Fleet:Http:PublishApiReference"] = "true", ["Fleet:Identity:BreakGlass"] = "true" });
        }

        public async ValueTask DisposeAsync()
        {
            await PublishedDocument.DisposeAsync();
            await Production.DisposeAsync();
        }
    }
}
