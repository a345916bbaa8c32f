using System.CommandLine;
using System.Text.Json;
using Fleet.Cli.Output;
using Fleet.Contracts;

namespace Fleet.Cli.Commands;

/// <summary><c>commands watch &lt;deviceId&gt; &lt;commandId&gt;</c>: each state change of the delivery as it is stored; exit 0 when the device completed it, 1 when it ends otherwise.</summary>
public static class CommandWatch
{
    public static Command Create(CliContext context)
    {
        var device = new Argument<Guid>("deviceId") { Description = "The device's id" };
        var id = CommandCommands.CommandIdArgument();
        var timeout = new Option<string?>("--timeout") { Description = "Give up after this long, e.g. 5m (exit 1); none: until the command ends" };
        var command = new Command("watch", "Print a command's state changes on one device until it ends; exit 0 when completed, 1 when rejected, failed or expired")
        {
            device, id, timeout,
        };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var route = CommandsHttp.Events(run.Required(id), run.Required(device));
            var limit = run.Value(timeout) is { } text ? RolloutSyntax.ParseDuration("--timeout", text) : (TimeSpan?)null;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (limit is { } span)
            {
                deadline.CancelAfter(span);
            }

            var printed = 0;
            try
            {
                while (true)
                {
                    var events = (await run.Api.GetAsync<List<CommandEventResponse>>(route, deadline.Token)).Value;
                    foreach (var change in events.Skip(printed))
                    {
                        await run.Out.WriteLineAsync(run.Json
                            ? JsonSerializer.Serialize(change, JsonSerializerOptions.Web)
                            : $"{Show.Time(change.At)}  {change.From ?? "-"} -> {change.To}{(change.Reason is null ? "" : $"  {change.Reason}")}");
                    }

                    printed = Math.Max(printed, events.Count);
                    switch (events.LastOrDefault()?.To)
                    {
                        case CommandStates.Completed:
                            return FleetCli.OkExit;
                        case CommandStates.Rejected or CommandStates.Failed or CommandStates.Expired:
                            await context.Error.WriteLineAsync($"fleet: command {run.Required(id)} {events[^1].To} on device {run.Required(device)}{(events[^1].Reason is { } reason ? $": {reason}" : "")}.");
                            return FleetCli.FailedExit;
                    }

                    await Task.Delay(context.PollInterval, deadline.Token);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await context.Error.WriteLineAsync($"fleet: command {run.Required(id)} had not ended on device {run.Required(device)} after {run.Value(timeout)}.");
                return FleetCli.FailedExit;
            }
        });
    }
}
