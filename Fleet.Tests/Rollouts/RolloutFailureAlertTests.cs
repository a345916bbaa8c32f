using System.Net;
using System.Net.Http.Json;
using Fleet.Api.Alerts;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.Rollouts;

/// <summary>
/// rollout_failure_ratio: one alert per rollout when too many of its finished updates in the rule's scope failed,
/// resolved when the rollout ends. The fixture's clock is fake, so the evaluator runs only when the test calls it.
/// </summary>
public sealed class RolloutFailureAlertTests(RolloutControllerFixture fixture) : IClassFixture<RolloutControllerFixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Too_many_failed_updates_open_one_alert_for_the_rollout_that_resolves_when_it_ends()
    {
        var region = $"rf-{Guid.NewGuid():N}"[..12];
        var devices = await RolloutTestFleet.InsertDevicesAsync(fixture.DatabaseConnectionString, 10, region, Cancellation);
        var release = await fixture.Operator.PublishReleaseAsync(Cancellation);
        var rollout = await fixture.Operator.CreateRolloutAsync(new CreateRolloutRequest(
            release.Id, new RolloutTarget(DeviceIds: devices), new RolloutPlan(Phases: [new RolloutPhase(100, TimeSpan.Zero, 0.5, 0.5)])), Cancellation);
        (await fixture.Operator.ActAsync(rollout.Id, "start", Cancellation)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await fixture.Engine.TickAsync(Cancellation)).Enrolled.ShouldBe(10);
        var watching = await CreateRuleAsync(region, 0.2);
        var elsewhere = await CreateRuleAsync($"{region}-x", 0.2);

        for (var i = 0; i < devices.Count; i++)
        {
            var state = i < 3 ? DeviceUpdateState.Failed : DeviceUpdateState.Healthy;
            (await fixture.Progress.RecordDeviceProgressAsync(rollout.Id, devices[i], state, i < 3 ? "boot loop" : null, Cancellation)).ShouldBe(ProgressOutcome.Recorded);
        }

        var evaluator = fixture.Api.Services.GetRequiredService<AlertEvaluator>();
        (await evaluator.EvaluateRolloutsAsync(Cancellation)).ShouldBe(1);
        (await evaluator.EvaluateRolloutsAsync(Cancellation)).ShouldBe(0, "one alert per rule and rollout, not one per check");

        var open = await AlertsAsync(watching.Id);
        open.Total.ShouldBe(1);
        var alert = open.Items[0];
        (alert.RolloutId, alert.DeviceId, alert.State).ShouldBe((rollout.Id, (Guid?)null, "open"));
        alert.Message.ShouldContain("3 of 10 finished updates failed");
        alert.Value!.Value.ShouldBe(0.3, 1e-9);
        (await AlertsAsync(elsewhere.Id)).Total.ShouldBe(0, "a rule scoped to another region sees none of these devices");

        (await fixture.Operator.ActAsync(rollout.Id, "abort", Cancellation, reason: "bad build")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await evaluator.EvaluateRolloutsAsync(Cancellation)).ShouldBe(1);
        var resolved = (await AlertsAsync(watching.Id)).Items.ShouldHaveSingleItem();
        (resolved.State, resolved.ResolvedBy, resolved.ResolveNote).ShouldBe(("resolved", "evaluator", "cleared: the rollout is no longer running"));
    }

    private async Task<AlertRuleResponse> CreateRuleAsync(string region, double ratio)
    {
        using var response = await fixture.Operator.PostAsJsonAsync("/api/v1/alert-rules",
            new AlertRuleRequest($"Rollout failures in {region}", "rollout_failure_ratio", "critical", new AlertScope(Regions: [region]), Value: ratio), Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<AlertRuleResponse>(Cancellation))!;
    }

    private async Task<AlertListResponse> AlertsAsync(Guid ruleId) =>
        (await fixture.Operator.GetFromJsonAsync<AlertListResponse>($"/api/v1/alerts?ruleId={ruleId}", Cancellation))!;
}
