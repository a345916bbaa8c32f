using System.CommandLine;
using Fleet.Cli.Commands;

namespace Fleet.Cli;

/// <summary>The <c>fleet</c> command line: parse, run, and an exit code (0 ok, 1 failed, 2 bad usage).</summary>
public static class FleetCli
{
    public const int OkExit = 0;
    public const int FailedExit = 1;
    public const int UsageExit = 2;

    public const string JsonOptionName = "--json";

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        // A new tree per run: symbols remember their parents, so runs side by side (tests) must not share them.
        var json = new Option<bool>(JsonOptionName) { Description = "Print the API's JSON (for scripts)", Recursive = true };
        var root = new RootCommand("fleet: operate a Fleet (devices, firmware, rollouts) from the command line.") { json };
        root.Add(IdentityCommands.Login(context));
        root.Add(IdentityCommands.Logout(context));
        root.Add(IdentityCommands.WhoAmI(context));
        root.Add(FleetStatusCommand.Create(context));
        root.Add(FirmwareCommands.Create(context));
        root.Add(RolloutCommands.Create(context));
        root.Add(DeviceCommands.Create(context));
        root.Add(AlertCommands.Create(context));
        root.Add(CommandCommands.Create(context));
        root.Add(TokenCommands.Create(context));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await context.Error.WriteLineAsync($"fleet: {error.Message}");
            }

            await context.Error.WriteLineAsync("Try `fleet --help` (or `fleet <command> --help`).");
            return UsageExit;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = context.Out, Error = context.Error }, cancellationToken);
    }
}
