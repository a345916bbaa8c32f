using System.Net;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Tests.Api;

public sealed class TelemetryQueryTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>Five temperature readings in two 5-minute buckets (1, 2, 3 then 10, 20) and one humidity reading.</summary>
    private async Task<(Guid Device, DateTimeOffset Bucket)> SeedAsync(string serial)
    {
        var device = await _http.RegisterDeviceAsync(serial, Cancellation);
        var now = DateTimeOffset.UtcNow;
        var bucket = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.FromMinutes(5).Ticks, TimeSpan.Zero).AddMinutes(-30);
        TelemetryReading At(int seq, int seconds, double value, string metric = "temperature") =>
            new(seq, bucket.AddSeconds(seconds), new Dictionary<string, double> { [metric] = value });
        var batch = new TelemetryBatchRequest([At(1, 0, 1), At(2, 60, 2), At(3, 120, 3), At(4, 300, 10), At(5, 360, 20), At(6, 400, 55, "humidity")]);
        using var response = await _http.PostAsDeviceAsync(FleetHttp.TelemetryRoute, device.DeviceKey, JsonContent.Create(batch), Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        return (device.DeviceId, bucket);
    }

    [Fact]
    public async Task Aggregated_gives_avg_min_max_count_per_window()
    {
        var (device, bucket) = await SeedAsync("Q-AGG");

        var result = await _http.GetAsOperatorAsync<TelemetryAggregatedResponse>(
            $"/api/v1/devices/{device}/telemetry/aggregated?metric=temperature&window=5m&from={Iso(bucket.AddHours(-1))}", Cancellation);

        result!.Items.ShouldBe(
        [
            new TelemetryBucket(bucket, 2, 1, 3, 3),
            new TelemetryBucket(bucket.AddMinutes(5), 15, 10, 20, 2),
        ]);
        var hourly = await _http.GetAsOperatorAsync<TelemetryAggregatedResponse>(
            $"/api/v1/devices/{device}/telemetry/aggregated?metric=temperature&window=1h&from={Iso(bucket.AddHours(-2))}", Cancellation);
        hourly!.Items.Sum(b => b.Count).ShouldBe(5);
        hourly.Items.Max(b => b.Max).ShouldBe(20);
    }

    [Fact]
    public async Task History_is_newest_first_filtered_by_metric_range_and_limit()
    {
        var (device, bucket) = await SeedAsync("Q-HISTORY");

        var all = await _http.GetAsOperatorAsync<TelemetryHistoryResponse>($"/api/v1/devices/{device}/telemetry?from={Iso(bucket.AddHours(-1))}", Cancellation);
        all!.Items.Count.ShouldBe(6);
        all.Items.Select(p => p.Ts).ShouldBeInOrder(SortDirection.Descending);

        var temperatures = await _http.GetAsOperatorAsync<TelemetryHistoryResponse>(
            $"/api/v1/devices/{device}/telemetry?metric=temperature&from={Iso(bucket.AddHours(-1))}&limit=2", Cancellation);
        temperatures!.Items.Select(p => p.Value).ShouldBe([20, 10]);

        var window = await _http.GetAsOperatorAsync<TelemetryHistoryResponse>(
            $"/api/v1/devices/{device}/telemetry?metric=temperature&from={Iso(bucket)}&to={Iso(bucket.AddSeconds(61))}", Cancellation);
        window!.Items.Select(p => p.Seq).ShouldBe([2, 1]);
    }

    [Fact]
    public async Task Latest_gives_the_newest_value_of_each_metric()
    {
        var (device, bucket) = await SeedAsync("Q-LATEST");

        var latest = await _http.GetAsOperatorAsync<List<LatestMetric>>($"/api/v1/devices/{device}/telemetry/latest", Cancellation);

        latest.ShouldBe([new LatestMetric("humidity", bucket.AddSeconds(400), 55), new LatestMetric("temperature", bucket.AddSeconds(360), 20)], ignoreOrder: true);
    }

    [Theory]
    [InlineData("telemetry/aggregated?window=5m", "metric")]
    [InlineData("telemetry/aggregated?metric=t&window=2m", "window")]
    [InlineData("telemetry/aggregated?metric=t&window=1m&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "window")]
    [InlineData("telemetry?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    [InlineData("telemetry?limit=0", "limit")]
    public async Task Bad_query_parameters_are_a_400_naming_the_parameter(string query, string parameter)
    {
        var (device, _) = await SeedAsync($"Q-BAD-{Guid.NewGuid():N}");

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/devices/{device}/{query}");
        request.Headers.Authorization = new("Bearer", ApiFactory.OperatorToken);
        using var response = await _http.SendAsync(request, Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation))!.Errors.Keys.ShouldContain(parameter);
    }

    [Theory]
    [InlineData("telemetry")]
    [InlineData("telemetry/latest")]
    [InlineData("telemetry/aggregated?metric=t")]
    [InlineData("telemetry/sequence")]
    public async Task Queries_need_the_operator_token_and_an_existing_device(string path)
    {
        (await _http.GetAsync($"/api/v1/devices/{Guid.NewGuid()}/{path}", Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/devices/{Guid.NewGuid()}/{path}");
        request.Headers.Authorization = new("Bearer", ApiFactory.OperatorToken);
        (await _http.SendAsync(request, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private static string Iso(DateTimeOffset time) => Uri.EscapeDataString(time.ToString("O"));

    public void Dispose() => _http.Dispose();
}
