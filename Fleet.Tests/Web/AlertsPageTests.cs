using System.Net.Http.Json;
using Bunit;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Fleet.Web.Components.Shared;
using Fleet.Web.Services;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using StackExchange.Redis;

namespace Fleet.Tests.Web;

/// <summary>The alerts tab against the real API: an alert raised by a low battery, acknowledged with a note on screen.</summary>
public sealed class AlertsPageTests : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly ApiFixture _fixture;
    private readonly HttpClient _http;
    private readonly ConnectionMultiplexer _redis;
    private readonly BunitContext _context;

    public AlertsPageTests(ApiFixture fixture, BackingServers servers)
    {
        _fixture = fixture;
        _http = fixture.Api.OperatorClient();
        _redis = ConnectionMultiplexer.Connect(servers.RedisConnectionString);
        _context = WebTestContext.Create(_http, _redis);
    }

    private static CancellationToken Cancellation => Xunit.TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task An_alert_that_opens_appears_live_and_is_acknowledged_with_a_note()
    {
        var list = _context.Render<AlertList>();
        list.WaitForAssertion(() => list.Find("[data-testid=alerts-all-clear]").TextContent.ShouldContain("the fleet is fine"), Wait);
        var alert = await RaiseLowBatteryAlertAsync();

        // The API published the change on Redis; the web's feed hands it to the page (as the hosted subscription would).
        _context.Services.GetRequiredService<AlertFeed>().Publish(new AlertEvent(alert.Id, alert.RuleId, alert.RuleName, alert.DeviceId, alert.Severity, "none", "open", alert.Message, alert.OpenedAt));

        list.WaitForAssertion(() => list.Find("[data-testid=alert-acknowledge]"), Wait);
        var dialogs = _context.Render<MudDialogProvider>();
        list.Find("[data-testid=alert-acknowledge]").Click();
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=reason-confirm]").HasAttribute("disabled").ShouldBeTrue(), Wait);
        dialogs.Find("textarea[data-testid=reason-input], [data-testid=reason-input] textarea, [data-testid=reason-input] input").Input("replacing the battery today");
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=reason-confirm]").HasAttribute("disabled").ShouldBeFalse(), Wait);
        dialogs.Find("[data-testid=reason-confirm]").Click();

        // The default filter shows open alerts: the acknowledged one leaves it, and the acknowledged filter shows who and why.
        list.WaitForAssertion(() => list.Find("[data-testid=alerts-empty]").TextContent.ShouldContain("1 acknowledged and being handled"), Wait);
        var stored = (await _http.GetAsOperatorAsync<AlertDetailResponse>($"/api/v1/alerts/{alert.Id}", Cancellation))!.Alert;
        (stored.State, stored.AcknowledgeNote).ShouldBe(("acknowledged", "replacing the battery today"));
        list.Find("[data-testid=alerts-filter-acknowledged]").Click();
        list.WaitForAssertion(() => list.Find("[data-testid=alert-handled]").TextContent.ShouldContain("replacing the battery today"), Wait);
        list.Find("[data-testid=alert-state]").GetAttribute("data-state").ShouldBe("acknowledged");
    }

    private async Task<AlertResponse> RaiseLowBatteryAlertAsync()
    {
        var tag = $"web-{Guid.NewGuid():N}"[..20];
        using (var rule = await _http.PostAsJsonAsync("/api/v1/alert-rules", new AlertRuleRequest("Battery low (web)", "battery_low", "critical", new AlertScope(Tags: [tag])), Cancellation))
        {
            rule.EnsureSuccessStatusCode();
        }

        using var device = _fixture.Api.CreateClient();
        using var registered = await device.PostAsJsonAsync(FleetHttp.RegisterRoute, DeviceClient.Registration($"AW-{Guid.NewGuid():N}") with { Tags = [tag] }, Cancellation);
        var key = (await registered.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RegisterDeviceResponse>(Cancellation))!.DeviceKey;
        AlertResponse? opened = null;
        await Eventually.TrueAsync(async () =>
        {
            using var heartbeat = await device.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, key, JsonContent.Create(new HeartbeatRequest(9, -60, "1.0.0", "A", 10)), Cancellation);
            var open = (await _http.GetAsOperatorAsync<AlertListResponse>("/api/v1/alerts?state=open", Cancellation))!.Items;
            opened = open.Count > 0 ? open[0] : null;
            return opened is not null;
        }, Wait, "a low-battery alert to open", Cancellation);
        return opened!;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _context.DisposeAsync();
        _redis.Dispose();
    }
}

/// <summary>What the pages say when there is nothing to show yet, or when the API cannot be reached.</summary>
public sealed class EmptyStatesTests : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http;
    private readonly BunitContext _context;

    public EmptyStatesTests(ApiFixture fixture)
    {
        _http = fixture.Api.OperatorClient();
        _context = WebTestContext.Create(_http);
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    [Fact]
    public void A_fresh_fleet_has_no_firmware_no_rollouts_no_rules_and_a_wizard_that_points_to_firmware()
    {
        var firmware = _context.Render<Fleet.Web.Components.Pages.Firmware>();
        var rollouts = _context.Render<Fleet.Web.Components.Pages.Rollouts>();
        var rules = _context.Render<AlertRulesList>();
        var wizard = _context.Render<Fleet.Web.Components.Pages.RolloutCreate>();

        firmware.WaitForAssertion(() => firmware.Find("[data-testid=firmware-empty]").TextContent.ShouldContain("No firmware is published yet"), Wait);
        rollouts.WaitForAssertion(() => rollouts.Find("[data-testid=rollouts-empty]").TextContent.ShouldContain("No rollout yet"), Wait);
        rules.WaitForAssertion(() => rules.Find("[data-testid=rules-empty]"), Wait);
        wizard.WaitForAssertion(() => wizard.Find("[data-testid=wizard-no-releases]"), Wait);
    }

    [Fact]
    public void Publishing_without_a_version_or_file_names_both_fields_and_sends_nothing()
    {
        var firmware = _context.Render<Fleet.Web.Components.Pages.Firmware>();
        firmware.WaitForAssertion(() => firmware.Find("[data-testid=firmware-empty]"), Wait);

        firmware.Find("[data-testid=firmware-publish]").Click();

        firmware.WaitForAssertion(() => firmware.Find("[data-testid=firmware-file-error]").TextContent.ShouldBe("Choose the firmware image to upload."), Wait);
        firmware.Markup.ShouldContain("A version is required");
        firmware.Markup.ShouldContain("Name at least one compatible device type.");
        firmware.Find("[data-testid=firmware-empty]");
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return _context.DisposeAsync();
    }
}

/// <summary>With the API down the pages show its problem as a message, never a crash.</summary>
public sealed class UnreachableApiPagesTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly BunitContext _context = WebTestContext.Create(WebTestContext.Unreachable());

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    [Fact]
    public void Firmware_and_rules_say_the_API_cannot_be_reached_and_rollouts_that_it_is_retrying()
    {
        var firmware = _context.Render<Fleet.Web.Components.Pages.Firmware>();
        var rollouts = _context.Render<Fleet.Web.Components.Pages.Rollouts>();
        var rules = _context.Render<AlertRulesList>();

        firmware.WaitForAssertion(() => firmware.Find("[data-testid=firmware-error]").TextContent.ShouldContain("cannot be reached"), Wait);
        rollouts.WaitForAssertion(() => rollouts.Find("[data-testid=api-unreachable-state]").TextContent.ShouldContain("retrying"), Wait);
        rules.WaitForAssertion(() => rules.Find("[data-testid=rules-error]").TextContent.ShouldContain("cannot be reached"), Wait);
    }

    public ValueTask DisposeAsync() => _context.DisposeAsync();
}
