using System.CommandLine;
using Fleet.Cli.Output;
using Fleet.Contracts;

namespace Fleet.Cli.Commands;

/// <summary><c>rollout list|show|create|watch</c> and the actions (<c>start</c>, <c>pause</c>, ... with <c>--reason</c>).</summary>
public static class RolloutCommands
{
    public static readonly string[] Actions = ["start", "pause", "resume", "advance", "abort", "rollback", "promote"];

    private const double DefaultSuccessThreshold = 0.95;
    private const double DefaultMaxFailureRatio = 0.05;

    public static Command Create(CliContext context)
    {
        var rollout = new Command("rollout", "Rollouts of firmware releases") 
        {
            List(context), ShowCommand(context), CreateCommand(context), RolloutWatch.Create(context),
            RolloutDetailCommands.Devices(context), RolloutDetailCommands.Gates(context),
        };
        foreach (var action in Actions)
        {
            rollout.Add(Action(context, action));
        }

        return rollout;
    }

    public static Argument<Guid> IdArgument() => new("id") { Description = "The rollout's id" };

    private static Command List(CliContext context)
    {
        var state = new Option<string?>("--state") { Description = "Only rollouts in this state: draft, running, paused, completed, aborted, rolled-back" };
        var command = new Command("list", "Rollouts, newest first, a page at a time (or --all)") { state };
        var paging = new ListPaging(command, 100);
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var filter = run.Value(state) is { } wanted ? $"&state={Uri.EscapeDataString(wanted)}" : "";
            var rollouts = await paging.FetchAsync<RolloutResponse>(run, RolloutHttp.RolloutsRoute, filter, cancellationToken);
            return run.Write(rollouts, list =>
            {
                var table = new TextTable("ID", "NAME", "RELEASE", "STATE", "PHASE", "DEVICES", "CREATED");
                foreach (var item in list.Items)
                {
                    table.Add(item.Id.ToString(), item.Name, item.ReleaseVersion, item.State, Phase(item), Show.Counts(item.Devices), Show.Time(item.CreatedAt));
                }

                table.WriteTo(run.Out);
                run.Out.WriteLine(paging.Footer(run, list, "rollouts"));
            });
        });
    }

    private static Command ShowCommand(CliContext context)
    {
        var id = IdArgument();
        var command = new Command("show", "A rollout: target, plan, and its devices by update state, phase by phase") { id };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var rollout = await run.Api.GetAsync<RolloutResponse>(RolloutHttp.Rollout(run.Required(id)), cancellationToken);
            return run.Write(rollout, value => Describe(run.Out, value));
        });
    }

    private static Command CreateCommand(CliContext context)
    {
        var release = new Option<string>("--release") { Description = "The release: its version or id", Required = true };
        var target = new Option<string?>("--target") { Description = $"Which devices, e.g. type=camera,region=eu-west,rev=rev-b,env=blue,tag=x (keys: {RolloutSyntax.TargetKeys}; a key twice: either value); none: every active device" };
        var phases = new Option<string?>("--phases") { Description = "Each phase's percentage, e.g. 1,10,50,100 (default: the API's plan)" };
        var soak = new Option<string?>("--soak") { Description = "How long each phase soaks before it may advance, e.g. 10m (with --phases or alone)" };
        var name = new Option<string?>("--name") { Description = "A name for people" };
        var greenFirst = new Option<bool>("--green-first") { Description = "Green devices first; blue ones after `rollout promote`" };
        var start = new Option<bool>("--start") { Description = "Start it at once" };
        var reason = new Option<string?>("--reason") { Description = "Why (recorded in the audit when starting)" };
        var perStratum = new Option<int?>("--min-per-stratum") { Description = "At least this many devices of each hardware revision × region in the first phase (default 3; 0: off)" };
        var minimumExecuted = new Option<int?>("--minimum-executed") { Description = "Finished devices a gate needs before it may pass or breach (default 1)" };
        var command = new Command("create", "Create a draft rollout of a release to a target (and start it with --start)")
        {
            release, target, phases, soak, name, greenFirst, start, reason, perStratum, minimumExecuted,
        };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var parsedTarget = RolloutSyntax.ParseTarget(run.Value(target));
            var soakTime = run.Value(soak) is { } soakText ? RolloutSyntax.ParseDuration("--soak", soakText) : (TimeSpan?)null;
            var percents = run.Value(phases) is { } phaseText ? RolloutSyntax.ParsePercents(phaseText) : soakTime is null ? null : [1, 10, 50, 100];
            var (stratum, executed) = (run.Value(perStratum), run.Value(minimumExecuted));
            // Whatever is left out, the API fills in with its defaults; a number out of range is its 400, naming the field.
            var plan = percents is null && stratum is null && executed is null
                ? null
                : new RolloutPlan(
                    Phases: percents is null ? null : [.. percents.Select(percent => new RolloutPhase(percent, soakTime ?? TimeSpan.FromMinutes(10), DefaultSuccessThreshold, DefaultMaxFailureRatio))],
                    MinPerStratum: stratum,
                    MinimumExecuted: executed);
            var releaseId = await FindReleaseAsync(run, run.Value(release)!, cancellationToken);
            var created = await run.Api.PostJsonAsync<CreateRolloutRequest, RolloutResponse>(
                RolloutHttp.RolloutsRoute, new CreateRolloutRequest(releaseId, parsedTarget, plan, run.Value(name), run.Value(greenFirst)), cancellationToken);
            var answer = created;
            if (run.Value(start))
            {
                answer = await run.Api.PostJsonAsync<RolloutActionRequest, RolloutResponse>(
                    RolloutHttp.Action(created.Value.Id, "start"), new RolloutActionRequest(run.Value(reason)), cancellationToken);
            }

            return run.Write(answer, value => Describe(run.Out, value));
        });
    }

    private static Command Action(CliContext context, string action)
    {
        var id = IdArgument();
        var reason = new Option<string?>("--reason") { Description = "Why (recorded in the audit)" };
        var command = new Command(action, $"{char.ToUpperInvariant(action[0])}{action[1..]} the rollout (operator); an illegal move is refused naming the state") { id, reason };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var moved = await run.Api.PostJsonAsync<RolloutActionRequest, RolloutResponse>(
                RolloutHttp.Action(run.Required(id), action), new RolloutActionRequest(run.Value(reason)), cancellationToken);
            return run.Write(moved, value => run.Out.WriteLine($"{value.Id}  {value.State}  {Phase(value)}  {Show.Counts(value.Devices)}"));
        });
    }

    private static async Task<Guid> FindReleaseAsync(CommandRun run, string release, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(release, out var id))
        {
            return id;
        }

        for (var page = 1; ; page++)
        {
            var releases = (await run.Api.GetAsync<FirmwareListResponse>($"{FirmwareHttp.ReleasesRoute}?page={page}&pageSize=500", cancellationToken)).Value;
            if (releases.Items.FirstOrDefault(item => item.Version == release) is { } found)
            {
                return found.Id;
            }

            if (releases.Items.Count == 0 || page * 500 >= releases.Total)
            {
                throw new ApiRefusalException($"No firmware release {release}: see `fleet firmware list`.");
            }
        }
    }

    public static string Phase(RolloutResponse rollout) =>
        $"{rollout.PhaseIndex + 1}/{rollout.Plan.Phases?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} ({Show.Percent(rollout.PhasePercent)})";

    public static void Describe(TextWriter output, RolloutResponse rollout)
    {
        output.WriteLine($"Rollout   {rollout.Id}{(rollout.Name is null ? "" : $"  {rollout.Name}")}");
        output.WriteLine($"Release   {rollout.ReleaseVersion} ({rollout.ReleaseId})");
        output.WriteLine($"State     {rollout.State}, phase {Phase(rollout)}{(rollout.GreenFirst ? rollout.Promoted ? ", green-first, promoted" : ", green-first" : "")}");
        output.WriteLine($"Target    {TargetText(rollout.Target)}: {rollout.Matching} matching, {rollout.Compatible} compatible, {rollout.Incompatible} incompatible");
        output.WriteLine($"Devices   {Show.Counts(rollout.Devices)}");
        output.WriteLine($"Created   {Show.Time(rollout.CreatedAt)} by {rollout.CreatedBy}; started {Show.Time(rollout.StartedAt)}; finished {Show.Time(rollout.FinishedAt)}");
        var table = new TextTable("PHASE", "PERCENT", "SOAK", "DEVICES");
        var phases = rollout.Plan.Phases ?? [];
        for (var index = 0; index < phases.Count; index++)
        {
            var counts = rollout.Phases?.FirstOrDefault(phase => phase.Index == index)?.Devices;
            var marker = index == rollout.PhaseIndex ? "*" : " ";
            table.Add($"{marker}{index + 1}", Show.Percent(phases[index].Percent), phases[index].MinimumSoak.ToString(), Show.Counts(counts));
        }

        table.WriteTo(output);
    }

    private static string TargetText(RolloutTarget target)
    {
        var parts = new List<string>();
        void Add(string key, IEnumerable<string>? values)
        {
            foreach (var value in values ?? [])
            {
                parts.Add($"{key}={value}");
            }
        }

        Add("type", target.DeviceTypes);
        Add("rev", target.HardwareRevisions);
        Add("region", target.Regions);
        Add("env", target.Environment is null ? null : [target.Environment]);
        Add("tag", target.Tags);
        Add("id", target.DeviceIds?.Select(id => id.ToString()));
        return parts.Count == 0 ? "every active device" : string.Join(",", parts);
    }
}
