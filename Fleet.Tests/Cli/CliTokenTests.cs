using System.Text.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Cli;

/// <summary><c>tokens list|create|revoke</c>: personal access tokens from the command line.</summary>
public sealed class CliTokenTests(CliFixture fixture) : IClassFixture<CliFixture>, IDisposable
{
    private readonly CliRunner _cli = new(fixture.Api);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static T Read<T>(CliResult result)
    {
        result.ExitCode.ShouldBe(0, result.ToString());
        return JsonSerializer.Deserialize<T>(result.Out, JsonSerializerOptions.Web)!;
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task A_token_is_created_from_a_signed_in_session_listed_used_and_revoked()
    {
        var session = await IssuerClient.SignInAsync(fixture.Api, "cli-operator", IssuerClient.PasswordOf("cli-operator"), Cancellation);
        var name = Unique("ci");

        var created = Read<PersonalTokenCreated>(await _cli.RunAsync(session.AccessToken, "tokens", "create", "--name", name, "--role", "viewer", "--days", "7", "--json"));
        var whoami = await _cli.RunAsync(created.Token, "whoami");
        var listed = Read<List<PersonalTokenSummary>>(await _cli.RunAsync(fixture.OperatorToken, "tokens", "list", "--json"));
        var table = await _cli.RunAsync(fixture.OperatorToken, "tokens", "list");
        var revoked = await _cli.RunAsync(fixture.OperatorToken, "tokens", "revoke", created.Id.ToString());
        var afterRevoke = await _cli.RunAsync(created.Token, "whoami");

        (created.Name, created.Role).ShouldBe((name, FleetRoles.Viewer));
        created.ExpiresAt.ShouldBe(DateTimeOffset.UtcNow.AddDays(7), TimeSpan.FromMinutes(5));
        whoami.Out.Trim().ShouldBe("cli-operator (viewer, by token)");
        listed.ShouldContain(token => token.Id == created.Id && token.RevokedAt == null);
        table.Out.ShouldContain(name);
        table.Out.ShouldNotContain(created.Token);
        revoked.ExitCode.ShouldBe(0, revoked.ToString());
        afterRevoke.ExitCode.ShouldBe(1, afterRevoke.ToString());
        afterRevoke.Error.ShouldContain("401");
        Read<List<PersonalTokenSummary>>(await _cli.RunAsync(fixture.OperatorToken, "tokens", "list", "--json"))
            .Single(token => token.Id == created.Id).RevokedAt.ShouldNotBeNull();
    }

    [Fact]
    public async Task A_personal_token_cannot_make_tokens_nor_revoke_anothers_and_a_bad_role_is_exit_2()
    {
        var fromToken = await _cli.RunAsync(fixture.OperatorToken, "tokens", "create", "--name", "from-a-token");
        var unknown = await _cli.RunAsync(fixture.OperatorToken, "tokens", "revoke", Guid.NewGuid().ToString());
        var badRole = await _cli.RunAsync(fixture.OperatorToken, "tokens", "create", "--name", "x", "--role", "root");

        fromToken.ExitCode.ShouldBe(1, fromToken.ToString());
        fromToken.Error.ShouldContain("403");
        fromToken.Error.ShouldContain("Signed-in session required");
        unknown.ExitCode.ShouldBe(1, unknown.ToString());
        unknown.Error.ShouldContain("404");
        badRole.ExitCode.ShouldBe(2, badRole.ToString());
    }

    public void Dispose() => _cli.Dispose();
}
