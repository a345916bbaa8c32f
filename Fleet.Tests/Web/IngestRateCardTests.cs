using System.Net.Http.Json;
using Bunit;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Fleet.Web.Components.Shared;

namespace Fleet.Tests.Web;

/// <summary>The overview's ingest card against the real API, whose Redis database is this class's own (so it starts at zero).</summary>
public sealed class IngestRateCardTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http = fixture.Api.OperatorClient();
    private static CancellationToken Cancellation => Xunit.TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_card_says_nothing_was_stored_then_charts_the_points_once_telemetry_arrives()
    {
        await using var context = WebTestContext.Create(_http);
        var card = context.Render<IngestRateCard>(parameters => parameters.Add(c => c.RefreshEvery, TimeSpan.FromMilliseconds(200)));
        card.WaitForAssertion(() => card.Find("[data-testid=ingest-empty]").TextContent.ShouldContain("No telemetry was stored"), Wait);
        card.Find("[data-testid=ingest-current]").GetAttribute("data-rate").ShouldBe("0");

        using var device = fixture.Api.CreateClient();
        var registered = await device.RegisterDeviceAsync($"WEB-INGEST-{Guid.NewGuid():N}"[..24], Cancellation);
        var readings = Enumerable.Range(1, 5).Select(seq => new TelemetryReading(seq, DateTimeOffset.UtcNow.AddSeconds(-seq), new Dictionary<string, double> { ["a"] = seq, ["b"] = 1 })).ToList();
        using (var accepted = await device.PostAsDeviceAsync(FleetHttp.TelemetryRoute, registered.DeviceKey, JsonContent.Create(new TelemetryBatchRequest(readings)), Cancellation))
        {
            accepted.EnsureSuccessStatusCode();
        }

        // The card reads the counters again by itself.
        card.WaitForAssertion(() => card.Find("[data-testid=ingest-total]").GetAttribute("data-total").ShouldBe("10"), Wait);
        card.Find("[data-testid=ingest-chart]").GetAttribute("data-minutes").ShouldBe("60");
        card.FindAll("[data-testid=ingest-chart] svg").Count.ShouldBeGreaterThan(0);
        double.Parse(card.Find("[data-testid=ingest-current]").GetAttribute("data-rate")!, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        card.FindAll("[data-testid=ingest-empty]").ShouldBeEmpty();
    }

    [Fact]
    public async Task An_unreachable_api_is_a_message_on_the_card()
    {
        using var unreachable = WebTestContext.Unreachable();
        await using var context = WebTestContext.Create(unreachable);

        var card = context.Render<IngestRateCard>();

        card.WaitForAssertion(() => card.Find("[data-testid=ingest-error]").TextContent.ShouldContain("cannot be reached"), Wait);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
