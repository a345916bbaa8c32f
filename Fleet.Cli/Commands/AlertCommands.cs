using System.CommandLine;
using Fleet.Cli.Output;
using Fleet.Contracts;

namespace Fleet.Cli.Commands;

/// <summary><c>alerts list|ack|resolve</c>.</summary>
public static class AlertCommands
{
    private const string Route = "/api/v1/alerts";

    public static Command Create(CliContext context) =>
        new("alerts", "Alerts: list, acknowledge, resolve") { List(context), Change(context, "ack", "acknowledge", "Acknowledge an open alert (operator)"), Change(context, "resolve", "resolve", "Resolve an open or acknowledged alert (operator)") };

    private static Command List(CliContext context)
    {
        var open = new Option<bool>("--open") { Description = "Only open alerts" };
        var state = new Option<string?>("--state") { Description = "Only alerts in this state: open, acknowledged, resolved" };
        var severity = new Option<string?>("--severity") { Description = "Only alerts of this severity: info, warning, critical" };
        var command = new Command("list", "Alerts, newest first, a page at a time (or --all)") { open, state, severity };
        var paging = new ListPaging(command, 100);
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var wanted = run.Value(open) ? "open" : run.Value(state);
            var query = (wanted is null ? "" : $"&state={Uri.EscapeDataString(wanted)}")
                        + (run.Value(severity) is { } level ? $"&severity={Uri.EscapeDataString(level)}" : "");
            var alerts = await paging.FetchAsync<AlertResponse>(run, Route, query, cancellationToken);
            return run.Write(alerts, list =>
            {
                var table = new TextTable("ID", "SEVERITY", "STATE", "RULE", "DEVICE", "OPENED", "MESSAGE");
                foreach (var alert in list.Items)
                {
                    table.Add(alert.Id.ToString(), alert.Severity, alert.State, alert.RuleName, alert.DeviceSerial ?? alert.RolloutId?.ToString(), Show.Time(alert.OpenedAt), alert.Message);
                }

                table.WriteTo(run.Out);
                run.Out.WriteLine(paging.Footer(run, list, "alerts"));
            });
        });
    }

    private static Command Change(CliContext context, string name, string action, string description)
    {
        var id = new Argument<Guid>("id") { Description = "The alert's id" };
        var note = new Option<string?>("--note") { Description = "A note for the alert's history" };
        var command = new Command(name, description) { id, note };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var alert = await run.Api.PostJsonAsync<AlertActionRequest, AlertResponse>($"{Route}/{run.Required(id)}/{action}", new AlertActionRequest(run.Value(note)), cancellationToken);
            return run.Write(alert, value => run.Out.WriteLine($"{value.Id}  {value.State}  {value.RuleName}  {value.DeviceSerial ?? "-"}"));
        });
    }
}
