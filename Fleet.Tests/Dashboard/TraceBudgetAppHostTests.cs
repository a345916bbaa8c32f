using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.EndToEnd;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Dashboard;

/// <summary>Under the AppHost, a burst of device requests reaches the dashboard as a budget's worth of traces; an operator's requests all do.</summary>
[Collection(WholeAppTests.Name)]
public sealed class TraceBudgetAppHostTests : IDisposable
{
    private const int BudgetPerSecond = 1;
    private const int Requests = 200;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan TelemetryTimeout = TimeSpan.FromSeconds(90);
    private readonly string _stateDirectory = TestDirectories.Create("trace-budget");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_burst_of_device_requests_is_traced_within_the_budget_while_every_operator_request_is_traced()
    {
        var started = Stopwatch.GetTimestamp();
        using var appHost = FleetAppHost.StartProcess(_stateDirectory, new Dictionary<string, string>
        {
            ["Fleet__Tracing__BudgetedTracesPerSecond"] = BudgetPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fleet__Telemetry__RequestsPerDevicePerMinute"] = "100000",
        }, "--devices", "1");
        var state = await appHost.WaitUntilHealthyAsync(StartTimeout, Cancellation);
        using var api = FleetAppHost.OperatorApi(state, TimeSpan.FromSeconds(30));
        using var dashboard = new HttpClient { BaseAddress = new Uri(FleetAppHost.Url(state, "dashboard")), Timeout = TimeSpan.FromSeconds(10) };

        var registration = DeviceClient.Registration("TRACE-BUDGET") with { EnrollmentToken = FleetAppHost.ReadSecret(state, "enrollment-token") };
        using var registered = await api.PostAsJsonAsync(FleetHttp.RegisterRoute, registration, Cancellation);
        var device = (await registered.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RegisterDeviceResponse>(Cancellation))!;
        for (var seq = 1; seq <= Requests; seq++)
        {
            (await api.SendReadingAsync(device.DeviceKey, seq, Cancellation)).ShouldBe(HttpStatusCode.Accepted);
        }

        const int operatorRequests = 5;
        for (var i = 0; i < operatorRequests; i++)
        {
            using var detail = await api.GetAsync($"{FleetHttp.DevicesRoute}/{device.DeviceId}", Cancellation);
            detail.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // The api exports in order, so once the operator's traces are in, the device requests' traces before them are too.
        var traces = await Eventually.GetAsync(async () =>
        {
            var all = await dashboard.GetFromJsonAsync<List<TraceSummaryDto>>("/api/traces?resource=api&limit=100000", DashboardServer.Json, Cancellation);
            return all!.Count(trace => trace.RootName == "GET /api/v1/devices/{id:guid}") >= operatorRequests ? all : null;
        }, TelemetryTimeout, $"{operatorRequests} operator traces from api", Cancellation);
        var secondsUp = Stopwatch.GetElapsedTime(started).TotalSeconds;

        // The simulated device's requests share the budget: over the api's life, no more than a burst plus the rate.
        var budget = BudgetPerSecond * (1 + secondsUp);
        var deviceTraces = traces.Count(trace => trace.RootName.Contains(FleetHttp.TelemetryRoute, StringComparison.Ordinal));
        var rootNames = string.Join(", ", traces.GroupBy(trace => trace.RootName).Select(group => $"{group.Key} x{group.Count()}"));
        deviceTraces.ShouldBeInRange(1, (int)budget, rootNames);
        var groupCommits = traces.Where(trace => trace.RootName == "telemetry.write").ToList();
        groupCommits.Count.ShouldBeInRange(1, (int)budget, rootNames);

        // A recorded group commit carries its database calls; those of the others are not traces of their own.
        var commit = await dashboard.GetFromJsonAsync<TraceDto>($"/api/traces/{groupCommits[0].TraceId}", DashboardServer.Json, Cancellation);
        commit!.Spans.ShouldContain(span => span.Attributes.Keys.Any(key => key.StartsWith("db.", StringComparison.Ordinal)));
        traces.Where(trace => trace.SpanCount == 1).Select(trace => trace.RootName).ShouldNotContain(name => name.Contains("COPY", StringComparison.OrdinalIgnoreCase), rootNames);
        // Leaving a group commit out of the traces leaves its meters alone: every stored point is counted.
        using var scrape = new HttpClient { BaseAddress = new Uri(FleetAppHost.Url(state, "api")) };
        var stored = (await scrape.GetStringAsync("/metrics", Cancellation)).Split('\n')
            .Where(line => line.StartsWith("fleet_telemetry_points_stored_total", StringComparison.Ordinal))
            .Sum(line => double.Parse(line.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture));
        stored.ShouldBeGreaterThanOrEqualTo(Requests, "one point per request, all stored");
        TestContext.Current.TestOutputHelper?.WriteLine($"{deviceTraces} device traces and {groupCommits.Count} group commits recorded of {Requests} requests in {secondsUp:F0} s; roots: {rootNames}");
    }

    public void Dispose() => TestDirectories.Delete(_stateDirectory);
}
