using System.CommandLine;
using Fleet.Cli.Output;
using Fleet.Contracts;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>tokens list|create|revoke</c>: the caller's personal access tokens. The API makes tokens only for a signed-in session
/// (a token cannot breed tokens), so <c>create</c> with a personal token prints the API's refusal saying so.
/// </summary>
public static class TokenCommands
{
    public static Command Create(CliContext context) =>
        new("tokens", "Your personal access tokens: list, create (from a signed-in session), revoke") { List(context), CreateCommand(context), Revoke(context) };

    private static Command List(CliContext context)
    {
        var command = new Command("list", "Your tokens, newest first (never their values)");
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var tokens = await run.Api.GetAsync<List<PersonalTokenSummary>>(IdentityHttp.TokensRoute, cancellationToken);
            return run.Write(tokens, list =>
            {
                var table = new TextTable("ID", "NAME", "ROLE", "CREATED", "EXPIRES", "LAST USED", "REVOKED");
                foreach (var token in list)
                {
                    table.Add(token.Id.ToString(), token.Name, token.Role, Show.Time(token.CreatedAt), Show.Time(token.ExpiresAt), Show.Time(token.LastUsedAt), Show.Time(token.RevokedAt));
                }

                table.WriteTo(run.Out);
            });
        });
    }

    private static Command CreateCommand(CliContext context)
    {
        var name = new Option<string>("--name") { Description = "What the token is for, e.g. ci-deploy", Required = true };
        var role = new Option<string?>("--role") { Description = "viewer, operator or admin, at most your own (default: your role)" };
        role.AcceptOnlyFromAmong([.. FleetRoles.All]);
        var days = new Option<int?>("--days") { Description = "How many days it lasts, 1..365 (default: the API's, 30)" };
        var command = new Command("create", "A new token, printed this once (needs a signed-in session's access token, not a personal token)") { name, role, days };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var created = await run.Api.PostJsonAsync<PersonalTokenRequest, PersonalTokenCreated>(
                IdentityHttp.TokensRoute, new PersonalTokenRequest(run.Value(name)!, run.Value(role), run.Value(days)), cancellationToken);
            return run.Write(created, token =>
            {
                run.Out.WriteLine($"Created {token.Name} ({token.Role}), expires {Show.Time(token.ExpiresAt)}, id {token.Id}");
                run.Out.WriteLine("The token (shown this once):");
                run.Out.WriteLine(token.Token);
            });
        });
    }

    private static Command Revoke(CliContext context)
    {
        var id = new Argument<Guid>("id") { Description = "The token's id (see `fleet tokens list`)" };
        var command = new Command("revoke", "Revoke one of your tokens; it stops working at once") { id };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            await run.Api.DeleteAsync(IdentityHttp.Token(run.Required(id)), cancellationToken);
            run.Out.WriteLine(run.Json ? $$"""{"id":"{{run.Required(id)}}","revoked":true}""" : $"Revoked {run.Required(id)}.");
            return FleetCli.OkExit;
        });
    }
}
