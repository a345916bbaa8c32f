using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace Fleet.Tests.Dashboard;

public sealed class TelemetryBoundsTests
{
    [Fact]
    public async Task Ten_times_the_span_limit_keeps_the_limit_and_counts_the_rest_as_dropped()
    {
        const int limit = 500;
        await using var dashboard = await DashboardServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Dashboard:Storage:MaxSpansPerResource"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        for (var batch = 0; batch < 10; batch++)
        {
            using var content = new ByteArrayContent(OtlpSamples.Spans("bounded", limit, batch * limit).ToByteArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/traces") { Content = content };
            request.Headers.Add("x-otlp-api-key", dashboard.ApiKey);
            using var response = await dashboard.Client.SendAsync(request, TestContext.Current.CancellationToken);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var counts = (await dashboard.GetAsync<List<ResourceViewDto>>("/api/resources")).Single().Telemetry!;
        counts.Spans.ShouldBe(limit);
        counts.DroppedSpans.ShouldBe(9 * limit);

        var traces = await dashboard.GetAsync<List<TraceSummaryDto>>("/api/traces?resource=bounded&limit=10000");
        traces.Count.ShouldBe(limit);
        traces.Select(trace => int.Parse(trace.RootName["span ".Length..], System.Globalization.CultureInfo.InvariantCulture)).Min().ShouldBe(9 * limit);
    }
}
