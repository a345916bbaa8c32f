using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Threading.Channels;
using Fleet.Api.Status;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.Alerts;

/// <summary>Alert rules and alerts through the API, evaluated by the real evaluator on real PostgreSQL and Redis.</summary>
public sealed class AlertsApiTests(AlertsApiFixture fixture) : IClassFixture<AlertsApiFixture>, IDisposable
{
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("""{"kind":"battery_low","severity":"warning"}""", "name")]
    [InlineData("""{"name":"x","kind":"bogus","severity":"warning"}""", "kind")]
    [InlineData("""{"name":"x","kind":"battery_low","severity":"loud"}""", "severity")]
    [InlineData("""{"name":"x","kind":"metric_threshold","severity":"info","op":"gt","value":1}""", "metric")]
    [InlineData("""{"name":"x","kind":"metric_threshold","severity":"info","metric":"t","op":"above","value":1}""", "op")]
    [InlineData("""{"name":"x","kind":"metric_threshold","severity":"info","metric":"t","op":"gt"}""", "value")]
    [InlineData("""{"name":"x","kind":"connectivity","severity":"info","status":"sleepy"}""", "status")]
    [InlineData("""{"name":"x","kind":"sequence_gaps","severity":"info","value":1.5}""", "value")]
    [InlineData("""{"name":"x","kind":"battery_degradation","severity":"info","value":1}""", "value")]
    [InlineData("""{"name":"x","kind":"rollout_failure_ratio","severity":"info","value":1}""", "value")]
    [InlineData("""{"name":"x","kind":"battery_low","severity":"info","forSeconds":-1}""", "forSeconds")]
    [InlineData("""{"name":"x","kind":"battery_low","severity":"info","webhookUrl":"ftp://x"}""", "webhookUrl")]
    [InlineData("""{"name":"x","kind":"battery_low","severity":"info","scope":{"tags":[""]}}""", "scope.tags")]
    [InlineData("""{"name":"x","kind":"battery_low","severity":"info","webhookUrl":"http://169.254.169.254/latest/meta-data/"}""", "webhookUrl")]
    [InlineData("""{"name":"x","kind":"battery_low","severity":"info","webhookUrl":"http://10.1.2.3/hook"}""", "webhookUrl")]
    [InlineData("""{"name":"x","kind":"battery_low","severity":"info","webhookUrl":"http://127.0.0.2/hook"}""", "webhookUrl")]
    [InlineData("""{"name":"x","kind":"battery_low","severity":"info","webhookUrl":"http://[::1]/hook"}""", "webhookUrl")]
    [InlineData("""{"name":"x","kind":"battery_low","severity":"info","webhookUrl":"http://[::ffff:169.254.169.254]/hook"}""", "webhookUrl")]
    public async Task A_bad_rule_is_a_400_naming_the_field_and_nothing_is_stored(string body, string field)
    {
        var before = (await GetAsync<AlertRuleListResponse>("/api/v1/alert-rules?pageSize=500")).Total;
        using var response = await SendAsync(HttpMethod.Post, "/api/v1/alert-rules", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation);
        problem!.Errors.Keys.ShouldContain(field);
        (await GetAsync<AlertRuleListResponse>("/api/v1/alert-rules?pageSize=500")).Total.ShouldBe(before);
    }

    [Fact]
    public async Task Rules_need_the_operator_token_and_unknown_ones_are_404()
    {
        (await _http.GetAsync("/api/v1/alert-rules", Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await _http.GetAsync("/api/v1/alerts", Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var missing = await SendAsync(HttpMethod.Get, $"/api/v1/alert-rules/{Guid.NewGuid()}");
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        using var ack = await SendAsync(HttpMethod.Post, $"/api/v1/alerts/{Guid.NewGuid()}/acknowledge", JsonContent.Create(new AlertActionRequest()));
        ack.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Low_battery_opens_one_alert_an_operator_acknowledges_and_recovery_resolves_it()
    {
        var tag = Unique("battery");
        var rule = await CreateRuleAsync(new AlertRuleRequest("Battery low", "battery_low", "critical", new AlertScope(Tags: [tag])));
        var device = await RegisterAsync(tag);

        for (var i = 0; i < 3; i++)
        {
            await HeartbeatAsync(device.DeviceKey, battery: 12);
        }

        var opened = await EventuallyAlertAsync(rule.Id, "open");
        opened.DeviceId.ShouldBe(device.DeviceId);
        opened.Severity.ShouldBe("critical");
        opened.Message.ShouldContain("battery at 12%");

        using var ana = await IssuerClient.SignedInClientAsync(fixture.Api, "ana", FleetRoles.Operator, Cancellation);
        using (var ack = await ana.PostAsJsonAsync($"/api/v1/alerts/{opened.Id}/acknowledge", new AlertActionRequest("replacing it"), Cancellation))
        {
            ack.StatusCode.ShouldBe(HttpStatusCode.OK);
            var acknowledged = (await ack.Content.ReadFromJsonAsync<AlertResponse>(Cancellation))!;
            (acknowledged.State, acknowledged.AcknowledgedBy, acknowledged.AcknowledgeNote).ShouldBe(("acknowledged", "ana", "replacing it"));
        }

        using (var again = await SendAsync(HttpMethod.Post, $"/api/v1/alerts/{opened.Id}/acknowledge", JsonContent.Create(new AlertActionRequest())))
        {
            again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        }

        await HeartbeatAsync(device.DeviceKey, battery: 95);
        var resolved = await EventuallyAlertAsync(rule.Id, "resolved");
        resolved.Id.ShouldBe(opened.Id);
        resolved.ResolvedBy.ShouldBe("evaluator");

        var all = await GetAsync<AlertListResponse>($"/api/v1/alerts?ruleId={rule.Id}");
        all.Total.ShouldBe(1);
        var detail = await GetAsync<AlertDetailResponse>($"/api/v1/alerts/{opened.Id}");
        detail.Transitions.Select(t => $"{t.From ?? "none"}->{t.To} by {t.By}")
            .ShouldBe(["none->open by evaluator", "open->acknowledged by ana", "acknowledged->resolved by evaluator"]);
    }

    [Fact]
    public async Task A_metric_threshold_held_for_its_duration_opens_and_a_short_spike_does_not()
    {
        var tag = Unique("threshold");
        var rule = await CreateRuleAsync(new AlertRuleRequest("Hot", "metric_threshold", "warning", new AlertScope(Tags: [tag]),
            Metric: "temperature", Op: "gt", Value: 50, ForSeconds: 2));
        var spiky = await RegisterAsync(tag);
        var hot = await RegisterAsync(tag);

        await TelemetryAsync(spiky.DeviceKey, 1, 80);
        // No hold can start before the hot reading is sent; the alert must wait the rule's 2 s after that.
        var sentAt = DateTimeOffset.UtcNow;
        await TelemetryAsync(hot.DeviceKey, 1, 80);
        await TelemetryAsync(spiky.DeviceKey, 2, 20);

        rule.ForSeconds.ShouldBe(2);
        var opened = await EventuallyAlertAsync(rule.Id, "open");
        opened.DeviceId.ShouldBe(hot.DeviceId);
        (opened.OpenedAt - sentAt).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(2));
        opened.Value.ShouldBe(80);
        (await GetAsync<AlertListResponse>($"/api/v1/alerts?ruleId={rule.Id}&deviceId={spiky.DeviceId}")).Total.ShouldBe(0);
    }

    [Fact]
    public async Task A_device_going_offline_opens_a_connectivity_alert_and_the_webhook_hears_of_it_despite_a_first_failure()
    {
        await using var webhook = await WebhookReceiver.StartAsync(failFirst: 1, Cancellation);
        var tag = Unique("offline");
        var rule = await CreateRuleAsync(new AlertRuleRequest("Offline", "connectivity", "warning", new AlertScope(Tags: [tag]), Status: "offline", WebhookUrl: webhook.Url));
        var device = await RegisterAsync(tag);

        var recorder = fixture.Api.Services.GetRequiredService<DeviceStatusRecorder>();
        await recorder.RecordAsync([new ConnectivityChange(device.DeviceId, DeviceConnectivity.Online, DeviceConnectivity.Offline, "not seen for 5m")], Cancellation);

        var opened = await EventuallyAlertAsync(rule.Id, "open");
        opened.Message.ShouldBe("device is offline");
        var delivered = await webhook.Received.Reader.ReadAsync(Cancellation).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Cancellation);
        (delivered.AlertId, delivered.From, delivered.To, delivered.RuleName).ShouldBe((opened.Id, "none", "open", "Offline"));
        webhook.Attempts.ShouldBeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public async Task Disabling_a_rule_resolves_its_alerts_and_counts_follow()
    {
        var tag = Unique("disable");
        var request = new AlertRuleRequest("Battery", "battery_low", "info", new AlertScope(Tags: [tag]), Value: 50);
        var rule = await CreateRuleAsync(request);
        var device = await RegisterAsync(tag);
        await HeartbeatAsync(device.DeviceKey, battery: 30);
        var opened = await EventuallyAlertAsync(rule.Id, "open");
        (await GetAsync<AlertCountsResponse>("/api/v1/alerts/counts")).ActiveBySeverity["info"].ShouldBeGreaterThanOrEqualTo(1);

        using var update = await SendAsync(HttpMethod.Put, $"/api/v1/alert-rules/{rule.Id}", JsonContent.Create(request with { Enabled = false }));
        update.StatusCode.ShouldBe(HttpStatusCode.OK);
        var resolved = (await GetAsync<AlertDetailResponse>($"/api/v1/alerts/{opened.Id}")).Alert;
        (resolved.State, resolved.ResolveNote).ShouldBe(("resolved", "rule disabled"));

        using var resolveAgain = await SendAsync(HttpMethod.Post, $"/api/v1/alerts/{opened.Id}/resolve", JsonContent.Create(new AlertActionRequest()));
        resolveAgain.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    private async Task<AlertRuleResponse> CreateRuleAsync(AlertRuleRequest request)
    {
        using var response = await SendAsync(HttpMethod.Post, "/api/v1/alert-rules", JsonContent.Create(request));
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<AlertRuleResponse>(Cancellation))!;
    }

    private async Task<RegisterDeviceResponse> RegisterAsync(string tag)
    {
        using var response = await _http.PostAsJsonAsync(FleetHttp.RegisterRoute,
            DeviceClient.Registration($"AL-{Guid.NewGuid():N}") with { Tags = [tag] }, Cancellation);
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RegisterDeviceResponse>(Cancellation))!;
    }

    private async Task HeartbeatAsync(string key, double battery)
    {
        using var response = await _http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, key, JsonContent.Create(new HeartbeatRequest(battery, -60, "1.0.0", "A", 10)), Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    private async Task TelemetryAsync(string key, long seq, double temperature)
    {
        var batch = new TelemetryBatchRequest([new TelemetryReading(seq, DateTimeOffset.UtcNow, new Dictionary<string, double> { ["temperature"] = temperature })]);
        using var response = await _http.PostAsDeviceAsync(FleetHttp.TelemetryRoute, key, JsonContent.Create(batch), Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    private async Task<AlertResponse> EventuallyAlertAsync(Guid ruleId, string state)
    {
        AlertResponse? found = null;
        await Eventually.TrueAsync(async () =>
        {
            var items = (await GetAsync<AlertListResponse>($"/api/v1/alerts?ruleId={ruleId}&state={state}")).Items;
            found = items.Count > 0 ? items[0] : null;
            return found is not null;
        }, TimeSpan.FromSeconds(20), $"a {state} alert of rule {ruleId}", Cancellation);
        return found!;
    }

    private async Task<T> GetAsync<T>(string route) => (await _http.GetAsOperatorAsync<T>(route, Cancellation))!;

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string route, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, route) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
        return await _http.SendAsync(request, Cancellation);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>A real HTTP endpoint on loopback that answers 500 to its first calls, then records what it receives.</summary>
    private sealed class WebhookReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _attempts;

        private WebhookReceiver(WebApplication app) => _app = app;

        public Channel<AlertEvent> Received { get; } = Channel.CreateUnbounded<AlertEvent>();

        public int Attempts => Volatile.Read(ref _attempts);

        public string Url => _app.Urls.First() + "/hook";

        public static async Task<WebhookReceiver> StartAsync(int failFirst, CancellationToken cancellationToken)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var receiver = new WebhookReceiver(app);
            app.MapPost("/hook", async (HttpContext http) =>
            {
                if (Interlocked.Increment(ref receiver._attempts) <= failFirst)
                {
                    return Results.StatusCode(500);
                }

                var alertEvent = await http.Request.ReadFromJsonAsync<AlertEvent>(http.RequestAborted);
                receiver.Received.Writer.TryWrite(alertEvent!);
                return Results.Ok();
            });
            await app.StartAsync(cancellationToken);
            return receiver;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
