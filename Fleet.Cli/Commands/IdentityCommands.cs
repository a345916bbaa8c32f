using System.CommandLine;
using Fleet.Cli.Connection;
using Fleet.Contracts;

namespace Fleet.Cli.Commands;

/// <summary><c>login</c>, <c>logout</c>, <c>whoami</c>.</summary>
public static class IdentityCommands
{
    public static Command Login(CliContext context)
    {
        var url = new Option<string>("--url") { Description = "The API's address, e.g. http://localhost:5080", Required = true };
        var token = new Option<string>("--token") { Description = "A personal access token (fleet_pat_...); - reads it from standard input", Required = true };
        var command = new Command("login", "Check a personal access token against the API and store it (owner-only) for later commands") { url, token };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var address = ConnectionResolver.ParseUrl(run.Value(url)!);
            // `--token -` keeps the token out of the shell's history and the process list.
            var secret = (run.Value(token) == "-" ? await context.Input.ReadLineAsync(cancellationToken) ?? "" : run.Value(token)!).Trim();
            if (secret.Length == 0)
            {
                throw new UsageException("--token: empty token.");
            }

            using var api = FleetApiClient.Create(context, address, secret);
            var me = await api.GetAsync<MeResponse>(IdentityHttp.MeRoute, cancellationToken);
            LoginStore.Write(context.ConfigDirectory, new StoredLogin(address.ToString(), secret));
            return run.Write(me, value => run.Out.WriteLine(
                $"Logged in to {address} as {value.Name} ({value.Role}, by {value.AuthenticatedBy}); stored in {LoginStore.PathIn(context.ConfigDirectory)}"));
        });
    }

    public static Command Logout(CliContext context)
    {
        var command = new Command("logout", "Remove the stored token");
        return command.Runs(context, (run, _) =>
        {
            run.Out.WriteLine(LoginStore.Remove(context.ConfigDirectory) ? "Logged out." : "No stored login.");
            return Task.FromResult(FleetCli.OkExit);
        });
    }

    public static Command WhoAmI(CliContext context)
    {
        var command = new Command("whoami", "Who the API takes you for: name, role, and how you authenticated");
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var me = await run.Api.GetAsync<MeResponse>(IdentityHttp.MeRoute, cancellationToken);
            return run.Write(me, value => run.Out.WriteLine($"{value.Name} ({value.Role}, by {value.AuthenticatedBy})"));
        });
    }
}
