using System.CommandLine;
using System.Globalization;
using Fleet.Cli.Output;
using Fleet.Contracts;

namespace Fleet.Cli.Commands;

/// <summary><c>rollout devices</c> (per-device update states) and <c>rollout gates</c> (stored gate evaluations).</summary>
public static class RolloutDetailCommands
{
    public static Command Devices(CliContext context)
    {
        var id = RolloutCommands.IdArgument();
        var state = new Option<string?>("--state") { Description = "Only devices in this update state: waiting, pending, offered, ..., healthy, failed, rolled-back" };
        var limit = new Option<int>("--limit") { Description = "How many devices, lowest buckets first (at most 500)", DefaultValueFactory = _ => 100 };
        var command = new Command("devices", "A rollout's devices and their update states") { id, state, limit };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var filter = run.Value(state) is { } wanted ? $"&state={Uri.EscapeDataString(wanted)}" : "";
            var devices = await run.Api.GetAsync<PagedList<RolloutDeviceResponse>>(
                $"{RolloutHttp.Rollout(run.Required(id))}/devices?pageSize={run.Value(limit)}{filter}", cancellationToken);
            return run.Write(devices, list =>
            {
                var table = new TextTable("DEVICE", "STATE", "BUCKET", "REGION", "ENV", "ATTEMPTS", "CHANGED", "REASON");
                foreach (var device in list.Items)
                {
                    table.Add(device.DeviceId.ToString(), device.State + (device.RollbackRequested ? " (rollback requested)" : ""),
                        device.Bucket.ToString(CultureInfo.InvariantCulture), device.Region, device.Environment,
                        device.Attempts.ToString(CultureInfo.InvariantCulture), Show.Time(device.StateChangedAt), device.Reason);
                }

                table.WriteTo(run.Out);
                run.Out.WriteLine($"{list.Items.Count} of {list.Total} devices");
            });
        });
    }

    public static Command Gates(CliContext context)
    {
        var id = RolloutCommands.IdArgument();
        var limit = new Option<int>("--limit") { Description = "How many evaluations, newest first (at most 500)", DefaultValueFactory = _ => 20 };
        var command = new Command("gates", "A rollout's gate evaluations, newest first, with the numbers they used") { id, limit };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var gates = await run.Api.GetAsync<PagedList<GateEvaluationResponse>>(
                $"{RolloutHttp.Rollout(run.Required(id))}/gates?pageSize={run.Value(limit)}", cancellationToken);
            return run.Write(gates, list =>
            {
                var table = new TextTable("AT", "PHASE", "VERDICT", "COHORT", "HEALTHY", "FAILED", "IN FLIGHT", "SOAK", "REASONS");
                foreach (var gate in list.Items)
                {
                    table.Add(Show.Time(gate.EvaluatedAt), $"{gate.PhaseIndex + 1} ({Show.Percent(gate.PhasePercent)})", gate.Verdict,
                        gate.Cohort.ToString(CultureInfo.InvariantCulture), gate.Healthy.ToString(CultureInfo.InvariantCulture),
                        gate.Failed.ToString(CultureInfo.InvariantCulture), gate.InFlight.ToString(CultureInfo.InvariantCulture),
                        $"{gate.SoakElapsed:hh\\:mm\\:ss}/{gate.MinimumSoak:hh\\:mm\\:ss}", string.Join("; ", gate.Reasons));
                }

                table.WriteTo(run.Out);
                run.Out.WriteLine($"{list.Items.Count} of {list.Total} gate evaluations");
            });
        });
    }
}
