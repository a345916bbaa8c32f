using System.CommandLine;
using System.Text.Json.Nodes;
using Fleet.Cli.Output;
using Fleet.Contracts;

namespace Fleet.Cli.Commands;

/// <summary><c>status</c>: devices by status, rollouts in flight, active alerts.</summary>
public static class FleetStatusCommand
{
    private const string AlertCountsRoute = "/api/v1/alerts/counts";

    public static Command Create(CliContext context)
    {
        var command = new Command("status", "Devices by status and lifecycle, rollouts running or paused, alerts by state");
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var stats = await run.Api.GetAsync<FleetStatsResponse>(FleetHttp.FleetStatsRoute, cancellationToken);
            var running = await run.Api.GetAsync<PagedList<RolloutResponse>>($"{RolloutHttp.RolloutsRoute}?state=running&pageSize=100", cancellationToken);
            var paused = await run.Api.GetAsync<PagedList<RolloutResponse>>($"{RolloutHttp.RolloutsRoute}?state=paused&pageSize=100", cancellationToken);
            var alerts = await run.Api.GetAsync<AlertCountsResponse>(AlertCountsRoute, cancellationToken);
            if (run.Json)
            {
                var all = new JsonObject
                {
                    ["fleet"] = JsonNode.Parse(stats.Json),
                    ["running"] = JsonNode.Parse(running.Json),
                    ["paused"] = JsonNode.Parse(paused.Json),
                    ["alerts"] = JsonNode.Parse(alerts.Json),
                };
                run.Out.WriteLine(all.ToJsonString());
                return FleetCli.OkExit;
            }

            var fleet = stats.Value;
            run.Out.WriteLine($"Devices   {fleet.Total} ({fleet.SeenRecently} seen recently)");
            run.Out.WriteLine($"  status     {Show.Counts(fleet.ByStatus)}");
            run.Out.WriteLine($"  lifecycle  {Show.Counts(fleet.ByLifecycle)}");
            run.Out.WriteLine($"Rollouts  {running.Value.Total} running, {paused.Value.Total} paused");
            foreach (var rollout in running.Value.Items.Concat(paused.Value.Items))
            {
                run.Out.WriteLine($"  {rollout.Id}  {rollout.Name ?? "-"}  {rollout.ReleaseVersion}  {rollout.State}  phase {rollout.PhaseIndex + 1} ({Show.Percent(rollout.PhasePercent)})  {Show.Counts(rollout.Devices)}");
            }

            var counts = alerts.Value;
            run.Out.WriteLine($"Alerts    {counts.ByState.GetValueOrDefault("open")} open, {counts.ByState.GetValueOrDefault("acknowledged")} acknowledged");
            if (counts.ActiveBySeverity.Values.Any(count => count > 0))
            {
                run.Out.WriteLine($"  active by severity  {Show.Counts(counts.ActiveBySeverity)}");
            }

            return FleetCli.OkExit;
        });
    }
}
