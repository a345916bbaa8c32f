using System.Net;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Tests.Api;

/// <summary>
/// <c>GET /api/v1/stats/ingest</c> against the real API and Redis: the per-minute counters hold the points newly stored,
/// not resent duplicates nor refused batches. Each class fixture's API has a Redis database of its own, so the window
/// holds only this class's points.
/// </summary>
public sealed class IngestRateTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_window_counts_the_points_stored_and_neither_duplicates_nor_refused_batches()
    {
        var device = await _http.RegisterDeviceAsync("INGEST-RATE", Cancellation);
        var first = new TelemetryBatchRequest([Reading(1, 3), Reading(2, 3)]);

        (await SendAsync(device.DeviceKey, first)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await SendAsync(device.DeviceKey, first)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await SendAsync(device.DeviceKey, new TelemetryBatchRequest([Reading(3, 1) with { Seq = -1 }]))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await SendAsync(device.DeviceKey, new TelemetryBatchRequest([Reading(2, 3), Reading(3, 4)]))).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        // 6 points, then a duplicate of them, a refused batch, and one new reading of 4 points beside a duplicate: 10.
        // Counters are fire-and-forget on one connection, in order: once the last batch shows, every earlier one has.
        var rate = await Eventually.GetAsync(async () => await ReadAsync("") is { Total: >= 10 } answer ? answer : null,
            TimeSpan.FromSeconds(10), "the ingest counters to show the accepted points", Cancellation);

        rate.Total.ShouldBe(10);
        rate.PerMinute.Count.ShouldBe(60);
        rate.PerMinute.Zip(rate.PerMinute.Skip(1)).ShouldAllBe(pair => pair.Second.Minute - pair.First.Minute == TimeSpan.FromMinutes(1));
        rate.PerMinute[^1].Minute.ShouldBeLessThanOrEqualTo(rate.At);
        (rate.At - rate.PerMinute[^1].Minute).ShouldBeLessThan(TimeSpan.FromMinutes(1));
        // All of it was stored within the last two minutes (the test may straddle a minute boundary).
        (rate.PerMinute[^1].Points + rate.PerMinute[^2].Points).ShouldBe(10);
        rate.PointsPerSecond.ShouldBeGreaterThan(0);
        (await ReadAsync("?minutes=2")).Total.ShouldBe(10);
    }

    [Theory]
    [InlineData("?minutes=0")]
    [InlineData("?minutes=61")]
    public async Task A_window_outside_one_to_sixty_minutes_is_a_problem_naming_minutes(string query)
    {
        using var response = await OperatorGetAsync(StatsHttp.IngestRoute + query);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation))!.Errors.Keys.ShouldBe(["minutes"]);
    }

    [Fact]
    public async Task Only_operators_read_the_ingest_rate()
    {
        using var response = await _http.GetAsync(StatsHttp.IngestRoute, Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    private static TelemetryReading Reading(int seq, int metrics) =>
        new(seq, DateTimeOffset.UtcNow.AddSeconds(-seq), Enumerable.Range(0, metrics).ToDictionary(i => $"m{i}", i => (double)i));

    private Task<HttpResponseMessage> SendAsync(string key, TelemetryBatchRequest batch) =>
        _http.PostAsDeviceAsync(FleetHttp.TelemetryRoute, key, JsonContent.Create(batch), Cancellation);

    private async Task<IngestRateResponse> ReadAsync(string query) =>
        (await _http.GetAsOperatorAsync<IngestRateResponse>(StatsHttp.IngestRoute + query, Cancellation))!;

    private async Task<HttpResponseMessage> OperatorGetAsync(string route)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, route);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
        return await _http.SendAsync(request, Cancellation);
    }

    public void Dispose() => _http.Dispose();
}
