using System.Net.Http.Json;
using Fleet.Cli;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Cli;

/// <summary>What one run of <c>fleet</c> printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Out}\nstderr: {Error}";
}

/// <summary>
/// Runs the CLI in-process against the in-process API (its TestServer handler), with a config folder and a working
/// directory of its own, so no real login or <c>.fleet/</c> of the machine is seen.
/// </summary>
public sealed class CliRunner : IDisposable
{
    public const string ApiUrl = "http://localhost";

    private readonly ApiFactory _api;

    public CliRunner(ApiFactory api)
    {
        _api = api;
        ConfigDirectory = Path.Combine(Root, "config", "fleet");
        WorkingDirectory = Path.Combine(Root, "work");
        Directory.CreateDirectory(WorkingDirectory);
    }

    public string Root { get; } = TestDirectories.Create("cli");

    public string ConfigDirectory { get; }

    public string WorkingDirectory { get; set; }

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the CLI takes its output for a terminal (progress bars); a redirected one by default, as in CI.</summary>
    public bool Terminal { get; set; }

    /// <summary>Runs with <c>FLEET_URL</c>/<c>FLEET_TOKEN</c> set to <paramref name="token"/> (none: whatever else is set up).</summary>
    public Task<CliResult> RunAsync(string? token, params string[] args) => RunWithInputAsync(token, "", args);

    public async Task<CliResult> RunWithInputAsync(string? token, string input, params string[] args)
    {
        var environment = new Dictionary<string, string>(Environment, StringComparer.Ordinal);
        if (token is not null)
        {
            environment["FLEET_URL"] = ApiUrl;
            environment["FLEET_TOKEN"] = token;
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext(() => _api.Server.CreateHandler(), output, error, environment, ConfigDirectory, WorkingDirectory)
        {
            PollInterval = TimeSpan.FromMilliseconds(100),
            Input = new StringReader(input),
            OutIsTerminal = Terminal,
        };
        var exit = await FleetCli.RunAsync(args, context, TestContext.Current.CancellationToken);
        return new CliResult(exit, output.ToString(), error.ToString());
    }

    /// <summary>A personal access token of <paramref name="user"/> (made with <paramref name="role"/> if new), created the way a person does after signing in.</summary>
    public static async Task<string> TokenAsync(ApiFactory api, string user, string role, CancellationToken cancellationToken)
    {
        using var signedIn = await IssuerClient.SignedInClientAsync(api, user, role, cancellationToken);
        using var created = await signedIn.PostAsJsonAsync(IdentityHttp.TokensRoute, new PersonalTokenRequest($"cli-{Guid.NewGuid():N}"[..20]), cancellationToken);
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<PersonalTokenCreated>(cancellationToken))!.Token;
    }

    public void Dispose() => TestDirectories.Delete(Root);
}
