using System.CommandLine;
using Fleet.Cli.Output;
using Fleet.Contracts;

namespace Fleet.Cli.Commands;

/// <summary><c>rollout watch</c>: a line whenever the rollout's phase or counts change; exit 0 when completed, 1 when it stops short.</summary>
public static class RolloutWatch
{
    public static Command Create(CliContext context)
    {
        var id = RolloutCommands.IdArgument();
        var command = new Command("watch", "Print progress per phase as it changes (every 2 s); exit 0 when completed, 1 when paused, aborted or rolled back") { id };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            string? last = null;
            while (true)
            {
                var answer = await run.Api.GetAsync<RolloutResponse>(RolloutHttp.Rollout(run.Required(id)), cancellationToken);
                var rollout = answer.Value;
                var line = run.Json ? answer.Json : Progress(rollout);
                if (line != last)
                {
                    await run.Out.WriteLineAsync(run.Json ? line : $"{Show.Time(DateTimeOffset.UtcNow)}  {line}");
                    last = line;
                }

                switch (rollout.State)
                {
                    case "completed":
                        return FleetCli.OkExit;
                    case "paused" or "aborted" or "rolled-back":
                        await context.Error.WriteLineAsync($"fleet: rollout {rollout.Id} is {rollout.State}.");
                        return FleetCli.FailedExit;
                }

                await Task.Delay(context.PollInterval, cancellationToken);
            }
        });
    }

    private static string Progress(RolloutResponse rollout)
    {
        var phases = rollout.Phases is { Count: > 0 } list
            ? string.Join(" | ", list.Select(phase => $"{phase.Index + 1}:{Show.Percent(phase.Percent)} {Show.Counts(phase.Devices)}"))
            : Show.Counts(rollout.Devices);
        return $"{rollout.State} phase {RolloutCommands.Phase(rollout)}  {phases}";
    }
}
