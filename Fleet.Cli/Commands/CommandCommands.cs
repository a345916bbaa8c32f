using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fleet.Cli.Output;
using Fleet.Contracts;

namespace Fleet.Cli.Commands;

/// <summary><c>commands send|list|watch|cancel</c>: commands to one device or a segment, and what became of them.</summary>
public static class CommandCommands
{
    private static readonly string[] Verbs = ["reboot", "identify", "set-interval"];

    public static Command Create(CliContext context) =>
        new("commands", "Commands to devices: send, list, watch, cancel") { Send(context), List(context), CommandWatch.Create(context), Cancel(context) };

    public static Argument<Guid> CommandIdArgument() => new("commandId") { Description = "The command's id (printed by `fleet commands send`)" };

    private static Command Send(CliContext context)
    {
        // With --segment there is no device id and the words shift left, which fixed typed arguments cannot say.
        var device = new Argument<string>("deviceId") { Description = "The device's id; with --segment leave it out and start with the command" };
        var verb = new Argument<string?>("command") { Description = "reboot, identify or set-interval", Arity = ArgumentArity.ZeroOrOne };
        var seconds = new Argument<string?>("seconds") { Description = "For set-interval: seconds between telemetry reports (1..3600)", Arity = ArgumentArity.ZeroOrOne };
        var segment = new Option<string?>("--segment") { Description = "Every active device matching, e.g. region=eu-west,rev=rev-b (the keys of `rollout create --target` but id), or all" };
        var ttl = new Option<string?>("--ttl") { Description = "How long it may wait for an offline device, e.g. 10m (default: the API's, 1 h)" };
        var command = new Command("send", "Send a command to one device, or with --segment to every active device matching (operator)") { device, verb, seconds, segment, ttl };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            string?[] given = [run.Required(device), run.Parse.GetValue(verb), run.Parse.GetValue(seconds)];
            var (deviceId, parsedSegment, name, interval) = Read([.. given.OfType<string>()], run.Value(segment));
            int? ttlSeconds = run.Value(ttl) is { } text ? (int)Math.Ceiling(RolloutSyntax.ParseDuration("--ttl", text).TotalSeconds) : null;
            var request = name == "set-interval"
                ? new SendCommandRequest(CommandNames.SetInterval, JsonSerializer.SerializeToElement(new { seconds = interval }), deviceId, parsedSegment, ttlSeconds)
                : new SendCommandRequest(name, null, deviceId, parsedSegment, ttlSeconds);
            var sent = await run.Api.PostJsonAsync<SendCommandRequest, CommandResponse>(CommandsHttp.Route, request, cancellationToken);
            return run.Write(sent, value => run.Out.WriteLine($"{value.Id}  {value.Name}  to {value.Devices} device(s), expires {Show.Time(value.ExpiresAt)}  {Show.Counts(value.ByState)}"));
        });
    }

    /// <summary>The positional words of <c>send</c>: a device id unless there is a segment, the verb, and set-interval's seconds.</summary>
    private static (Guid? Device, CommandSegment? Segment, string Verb, int? Seconds) Read(string[] words, string? segment)
    {
        Guid? device = null;
        var rest = words;
        if (segment is null)
        {
            if (!Guid.TryParse(rest[0], out var id))
            {
                throw new UsageException($"'{rest[0]}' is not a device id: `fleet commands send <deviceId> reboot`, or `--segment region=eu-west reboot`.");
            }

            device = id;
            rest = rest[1..];
        }
        else if (Guid.TryParse(rest[0], out _))
        {
            throw new UsageException("Give a device id or --segment, not both.");
        }

        if (rest.Length == 0 || !Verbs.Contains(rest[0]))
        {
            throw new UsageException($"Which command: {string.Join(", ", Verbs)}.");
        }

        var verb = rest[0];
        if (verb != "set-interval")
        {
            return rest.Length == 1 ? (device, Segment(), verb, (int?)null) : throw new UsageException($"{verb} takes no value.");
        }

        return rest.Length == 2 && int.TryParse(rest[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? (device, Segment(), verb, seconds)
            : throw new UsageException("set-interval needs the seconds: `fleet commands send <deviceId> set-interval 30`.");

        CommandSegment? Segment() => segment is null ? null : RolloutSyntax.ParseSegment(segment);
    }

    private static Command List(CliContext context)
    {
        var device = new Argument<Guid?>("deviceId") { Description = "Only this device's commands, with its state of each (none: every command, counted by state)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("list", "Commands, newest first, a page at a time (or --all)") { device };
        var paging = new ListPaging(command, 50);
        return command.Runs(context, async (run, cancellationToken) =>
        {
            if (run.Parse.GetValue(device) is not { } id)
            {
                var all = await paging.FetchAsync<CommandResponse>(run, CommandsHttp.Route, "", cancellationToken);
                return run.Write(all, list =>
                {
                    var table = new TextTable("ID", "NAME", "TO", "DEVICES", "BY", "CREATED", "EXPIRES", "STATES");
                    foreach (var item in list.Items)
                    {
                        table.Add(item.Id.ToString(), item.Name, item.DeviceId?.ToString() ?? "segment", item.Devices.ToString(CultureInfo.InvariantCulture),
                            item.CreatedBy, Show.Time(item.CreatedAt), Show.Time(item.ExpiresAt), Show.Counts(item.ByState));
                    }

                    table.WriteTo(run.Out);
                    run.Out.WriteLine(paging.Footer(run, list, "commands"));
                });
            }

            var commands = await paging.FetchAsync<DeviceCommandResponse>(run, CommandsHttp.OfDevice(id), "", cancellationToken);
            return run.Write(commands, list =>
            {
                var table = new TextTable("ID", "NAME", "STATE", "ATTEMPTS", "BY", "CREATED", "EXPIRES", "REASON");
                foreach (var item in list.Items)
                {
                    table.Add(item.CommandId.ToString(), item.Name, item.State, item.Attempts.ToString(CultureInfo.InvariantCulture),
                        item.CreatedBy, Show.Time(item.CreatedAt), Show.Time(item.ExpiresAt), item.Reason);
                }

                table.WriteTo(run.Out);
                run.Out.WriteLine(paging.Footer(run, list, "commands"));
            });
        });
    }

    private static Command Cancel(CliContext context)
    {
        var id = CommandIdArgument();
        var reason = new Option<string?>("--reason") { Description = "Why (recorded in the audit and as each delivery's reason)" };
        var command = new Command("cancel", "Fail every delivery of a command still queued or sent (operator); devices that already ran it are unaffected") { id, reason };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var cancelled = await run.Api.PostJsonAsync<CancelCommandRequest, CommandResponse>(
                $"{CommandsHttp.Command(run.Required(id))}/cancel", new CancelCommandRequest(run.Value(reason)), cancellationToken);
            return run.Write(cancelled, value => run.Out.WriteLine($"{value.Id}  {value.Name}  cancelled  {Show.Counts(value.ByState)}"));
        });
    }
}
