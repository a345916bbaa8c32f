using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Fleet.AppHost.Hosting.Orchestration;
using Fleet.Contracts;
using Fleet.Tests.EndToEnd;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Dashboard;

/// <summary>The whole app under the AppHost, watched through the dashboard it starts first.</summary>
[Collection(WholeAppTests.Name)]
public sealed class DashboardAppHostTests : IDisposable
{
    private static readonly string[] IngestCounters = ["fleet_telemetry_points_accepted_total", "fleet_telemetry_points_stored_total"];
    private const int TraceBudgetPerSecond = 1;
    private const int DeviceRequests = 200;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan TelemetryTimeout = TimeSpan.FromSeconds(90);
    private readonly string _stateDirectory = TestDirectories.Create("dashboard-e2e");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_dashboard_starts_first_and_sees_resources_traces_across_services_logs_metrics_and_console_output()
    {
        using var appHost = FleetAppHost.StartProcess(_stateDirectory, "--devices", "10");
        var state = await appHost.WaitUntilHealthyAsync(StartTimeout, Cancellation);

        appHost.Output.Split('\n')[0].ShouldStartWith("fleet | dashboard: http://127.0.0.1:");
        var dashboardUrl = FleetAppHost.Url(state, "dashboard");
        appHost.Output.Split('\n')[0].ShouldContain(dashboardUrl);
        using var dashboard = new HttpClient { BaseAddress = new Uri(dashboardUrl), Timeout = TimeSpan.FromSeconds(10) };

        var resources = await dashboard.GetFromJsonAsync<List<AppHostResourceView>>("/api/resources", DashboardServer.Json, Cancellation);
        resources!.Where(resource => resource.Process is not null).Select(resource => resource.Name)
            .ShouldBe(["cache", "postgres", "fleetdb", "api", "web", "devices", "dashboard"], ignoreOrder: true);
        resources!.ShouldAllBe(resource => resource.Process == null || resource.Process.State == "Healthy");

        // One trace: the simulator's HTTP call, the api's handling of it, and the api's database call.
        var crossService = await Eventually.GetAsync(async () =>
        {
            var traces = await dashboard.GetFromJsonAsync<List<TraceSummaryDto>>("/api/traces?resource=devices&limit=500", DashboardServer.Json, Cancellation);
            foreach (var summary in traces!.Where(trace => trace.Resources.Contains("api")))
            {
                var trace = await dashboard.GetFromJsonAsync<TraceDto>($"/api/traces/{summary.TraceId}", DashboardServer.Json, Cancellation);
                var spanIds = trace!.Spans.ToDictionary(span => span.SpanId);
                var apiServerUnderDevices = trace.Spans.Any(span => span.Resource == "api" && span.Kind == "Server"
                    && span.ParentSpanId is not null && spanIds.TryGetValue(span.ParentSpanId, out var parent) && parent.Resource == "devices");
                if (apiServerUnderDevices && trace.Spans.Any(span => span.Resource == "api" && span.Attributes.Keys.Any(key => key.StartsWith("db.", StringComparison.Ordinal))))
                {
                    return trace;
                }
            }

            return null;
        }, TelemetryTimeout, "a trace with spans from devices, api and the database", Cancellation);
        crossService.Spans.Select(span => span.Resource).Distinct().ShouldBe(["devices", "api"], ignoreOrder: true);

        var apiLogs = await Eventually.GetAsync(
            async () => await dashboard.GetFromJsonAsync<List<LogDto>>("/api/logs?resource=api", DashboardServer.Json, Cancellation) is { Count: > 0 } logs ? logs : null,
            TelemetryTimeout, "log records from api", Cancellation);
        apiLogs.ShouldAllBe(log => log.Resource == "api");

        // Fleet's own meters on the api's Prometheus endpoint: devices by status (all 10 online) and the transitions that got them there.
        using var api = new HttpClient { BaseAddress = new Uri(FleetAppHost.Url(state, "api")) };
        var exposition = await Eventually.GetAsync(async () =>
        {
            var text = await api.GetStringAsync("/metrics", Cancellation);
            return text.Split('\n').Any(line => line.StartsWith("fleet_devices_by_status{", StringComparison.Ordinal)
                && line.Contains("status=\"online\"", StringComparison.Ordinal) && line.Split(' ')[1] == "10") ? text : null;
        }, TelemetryTimeout, "fleet_devices_by_status{status=online} 10 on api's /metrics", Cancellation);
        exposition.Split('\n').ShouldContain(line => line.StartsWith("fleet_devices_status_transitions_total{", StringComparison.Ordinal)
            && line.Contains("to=\"online\"", StringComparison.Ordinal));
        // The simulated devices' telemetry went through the ingest path: its counters are there and not zero.
        await Eventually.TrueAsync(async () =>
        {
            var text = await api.GetStringAsync("/metrics", Cancellation);
            return IngestCounters.All(name => SampleValues(text, name).Any(value => value > 0));
        }, TelemetryTimeout, "non-zero telemetry ingest counters on api's /metrics", Cancellation);

        // The status sweeper's tick is a span of its own.
        await Eventually.GetAsync(
            async () => (await dashboard.GetFromJsonAsync<List<TraceSummaryDto>>("/api/traces?resource=api&q=status%20sweep", DashboardServer.Json, Cancellation))!
                .FirstOrDefault(trace => trace.RootName == "status sweep"),
            TelemetryTimeout, "a status sweep span from api", Cancellation);

        var consoleLines = await dashboard.GetFromJsonAsync<List<ConsoleLineDto>>("/api/resources/api/console", DashboardServer.Json, Cancellation);
        consoleLines!.ShouldNotBeEmpty();
        consoleLines.ShouldAllBe(line => line.Resource == "api");

        var webPid = state.Resources.Single(resource => resource.Name == "web").ProcessIds.Single();
        using (var restart = await dashboard.PostAsync("/api/resources/web/restart", null, Cancellation))
        {
            restart.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        }

        var restarted = await Eventually.GetAsync(
            () => Task.FromResult(AppHostState.Read(appHost.StateFile)?.Resources.Single(resource => resource.Name == "web") is { State: ResourceState.Healthy } web
                && web.ProcessIds.Single() != webPid ? web : null),
            TimeSpan.FromMinutes(1), "web to come back healthy with a new process", Cancellation);
        restarted.ProcessIds.Single().ShouldNotBe(webPid);
        using (var selfStop = await dashboard.PostAsync("/api/resources/dashboard/stop", null, Cancellation))
        {
            selfStop.IsSuccessStatusCode.ShouldBeFalse();
        }
    }

    [Fact]
    public async Task Without_the_dashboard_no_project_is_sent_to_it()
    {
        using var appHost = FleetAppHost.StartProcess(_stateDirectory, "--devices", "1", "--no-dashboard");
        var state = await appHost.WaitUntilHealthyAsync(StartTimeout, Cancellation);

        state.Resources.ShouldNotContain(resource => resource.Name == "dashboard");
        state.Resources.ShouldNotContain(resource => resource.Name == "otlp-api-key");
        appHost.Output.ShouldNotContain("dashboard:");
    }

    [Fact]
    public async Task An_otlp_endpoint_in_configuration_wins_over_the_dashboard()
    {
        await using var external = await DashboardServer.StartAsync(apiKey: "external-key");
        using var appHost = FleetAppHost.StartProcess(_stateDirectory, new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = external.GrpcUrl,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
            ["OTEL_EXPORTER_OTLP_HEADERS"] = "x-otlp-api-key=external-key",
        }, "--devices", "1");
        var state = await appHost.WaitUntilHealthyAsync(StartTimeout, Cancellation);

        await Eventually.GetAsync(
            async () => (await external.GetAsync<List<ResourceViewDto>>("/api/resources")).FirstOrDefault(r => r.Name == "api" && r.Telemetry!.Spans > 0),
            TelemetryTimeout, "api's spans at the configured endpoint", Cancellation);
        using var dashboard = new HttpClient { BaseAddress = new Uri(FleetAppHost.Url(state, "dashboard")) };
        var own = await dashboard.GetFromJsonAsync<List<ResourceViewDto>>("/api/resources", DashboardServer.Json, Cancellation);
        own!.ShouldAllBe(resource => resource.Telemetry == null);
    }

    [Fact]
    public async Task A_burst_of_device_requests_is_traced_within_the_budget_while_every_operator_request_is_traced()
    {
        // A budget of one trace a second for device requests, and 200 of them in a few seconds.
        var started = Stopwatch.GetTimestamp();
        using var appHost = FleetAppHost.StartProcess(_stateDirectory, new Dictionary<string, string>
        {
            ["Fleet__Tracing__BudgetedTracesPerSecond"] = TraceBudgetPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fleet__Telemetry__RequestsPerDevicePerMinute"] = "100000",
        }, "--devices", "1");
        var state = await appHost.WaitUntilHealthyAsync(StartTimeout, Cancellation);
        using var api = FleetAppHost.OperatorApi(state, TimeSpan.FromSeconds(30));
        using var dashboard = new HttpClient { BaseAddress = new Uri(FleetAppHost.Url(state, "dashboard")), Timeout = TimeSpan.FromSeconds(10) };

        var device = await api.RegisterDeviceAsync(
            DeviceClient.Registration("TRACE-BUDGET") with { EnrollmentToken = FleetAppHost.ReadSecret(state, "enrollment-token") }, Cancellation);
        for (var seq = 1; seq <= DeviceRequests; seq++)
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
        var budget = TraceBudgetPerSecond * (1 + secondsUp);
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
        var stored = SampleValues(await scrape.GetStringAsync("/metrics", Cancellation), "fleet_telemetry_points_stored_total").Sum();
        stored.ShouldBeGreaterThanOrEqualTo(DeviceRequests, "one point per request, all stored");
        TestContext.Current.TestOutputHelper?.WriteLine($"{deviceTraces} device traces and {groupCommits.Count} group commits recorded of {DeviceRequests} requests in {secondsUp:F0} s; roots: {rootNames}");
    }

    public void Dispose() => TestDirectories.Delete(_stateDirectory);

    /// <summary>The values of every sample of <paramref name="name"/> (any labels) in a Prometheus exposition.</summary>
    private static IEnumerable<double> SampleValues(string exposition, string name) =>
        exposition.Split('\n').Where(line => line.StartsWith(name, StringComparison.Ordinal))
            .Select(line => double.Parse(line.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture));

    private sealed record ProcessDto(string State, IReadOnlyList<int> ProcessIds);

    private sealed record AppHostResourceView(string Name, ProcessDto? Process);

    private sealed record ConsoleLineDto(long Sequence, string Resource, string Text);
}
