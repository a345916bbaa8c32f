using System.CommandLine;
using System.Text.Json;
using Fleet.Cli.Output;
using Fleet.Contracts;

namespace Fleet.Cli.Commands;

/// <summary><c>commands send &lt;deviceId&gt; reboot|identify|set-interval &lt;s&gt; [--ttl 10m]</c>.</summary>
public static class SendCommandCommand
{
    public static Command Create(CliContext context) => new("commands", "Commands to devices") { Send(context) };

    private static Command Send(CliContext context)
    {
        var device = new Argument<Guid>("deviceId") { Description = "The device's id" };
        var name = new Argument<string>("command") { Description = "reboot, identify or set-interval" };
        name.AcceptOnlyFromAmong("reboot", "identify", "set-interval");
        var seconds = new Argument<int?>("seconds") { Description = "For set-interval: seconds between telemetry reports (1..3600)", Arity = ArgumentArity.ZeroOrOne };
        var ttl = new Option<string?>("--ttl") { Description = "How long it may wait for an offline device, e.g. 10m (default: the API's, 1 h)" };
        var command = new Command("send", "Send a command to one device (operator)") { device, name, seconds, ttl };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var verb = run.Required(name);
            var interval = run.Parse.GetValue(seconds);
            if ((verb == "set-interval") != interval.HasValue)
            {
                throw new UsageException(verb == "set-interval" ? "set-interval needs the seconds: `fleet commands send <deviceId> set-interval 30`." : $"{verb} takes no value.");
            }

            int? ttlSeconds = run.Value(ttl) is { } text ? (int)Math.Ceiling(RolloutSyntax.ParseDuration("--ttl", text).TotalSeconds) : null;
            var request = verb == "set-interval"
                ? new SendCommandRequest(CommandNames.SetInterval, JsonSerializer.SerializeToElement(new { seconds = interval }), run.Required(device), TtlSeconds: ttlSeconds)
                : new SendCommandRequest(verb, DeviceId: run.Required(device), TtlSeconds: ttlSeconds);
            var sent = await run.Api.PostJsonAsync<SendCommandRequest, CommandResponse>(CommandsHttp.Route, request, cancellationToken);
            return run.Write(sent, value => run.Out.WriteLine($"{value.Id}  {value.Name}  to {value.Devices} device(s), expires {Show.Time(value.ExpiresAt)}  {Show.Counts(value.ByState)}"));
        });
    }
}
