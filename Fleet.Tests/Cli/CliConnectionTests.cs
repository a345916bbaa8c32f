using System.Text.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Cli;

public sealed class CliConnectionTests(CliFixture fixture) : IClassFixture<CliFixture>, IDisposable
{
    private static readonly string[] WebUrls = ["http://localhost:1"];
    private static readonly string[] ApiUrls = [CliRunner.ApiUrl];
    private readonly CliRunner _cli = new(fixture.Api);

    [Fact]
    public async Task Login_checks_the_token_and_stores_it_owner_only_then_whoami_uses_it()
    {
        var login = await _cli.RunAsync(null, "login", "--url", CliRunner.ApiUrl, "--token", fixture.OperatorToken);

        login.ExitCode.ShouldBe(0, login.ToString());
        login.Out.ShouldContain("cli-operator");
        var file = Path.Combine(_cli.ConfigDirectory, "config.json");
        File.GetUnixFileMode(file).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.ReadAllText(file).ShouldContain(fixture.OperatorToken);

        var whoami = await _cli.RunAsync(null, "whoami");
        whoami.ExitCode.ShouldBe(0, whoami.ToString());
        whoami.Out.Trim().ShouldBe("cli-operator (operator, by token)");
        var json = await _cli.RunAsync(null, "whoami", "--json");
        JsonSerializer.Deserialize<MeResponse>(json.Out, JsonSerializerOptions.Web).ShouldBe(new MeResponse("cli-operator", FleetRoles.Operator, "token"));

        (await _cli.RunAsync(null, "logout")).ExitCode.ShouldBe(0);
        File.Exists(file).ShouldBeFalse();
        (await _cli.RunAsync(null, "whoami")).ExitCode.ShouldBe(2);
    }

    [Fact]
    public async Task Login_with_a_bad_token_is_refused_and_stores_nothing()
    {
        var login = await _cli.RunAsync(null, "login", "--url", CliRunner.ApiUrl, "--token", "fleet_pat_not-a-real-token");

        login.ExitCode.ShouldBe(1, login.ToString());
        login.Error.ShouldContain("401");
        File.Exists(Path.Combine(_cli.ConfigDirectory, "config.json")).ShouldBeFalse();
    }

    [Fact]
    public async Task Login_reads_the_token_from_standard_input_when_it_is_a_dash()
    {
        var login = await _cli.RunWithInputAsync(null, fixture.ViewerToken + "\n", "login", "--url", CliRunner.ApiUrl, "--token", "-");

        login.ExitCode.ShouldBe(0, login.ToString());
        (await _cli.RunAsync(null, "whoami")).Out.Trim().ShouldBe("cli-viewer (viewer, by token)");
    }

    [Theory]
    [InlineData("localhost:8080", "fleet_pat_x")]
    [InlineData("ftp://localhost", "fleet_pat_x")]
    [InlineData(CliRunner.ApiUrl, "-")]
    public async Task Login_with_a_bad_address_or_an_empty_token_is_exit_2(string url, string token)
    {
        var login = await _cli.RunAsync(null, "login", "--url", url, "--token", token);

        login.ExitCode.ShouldBe(2, login.ToString());
        File.Exists(Path.Combine(_cli.ConfigDirectory, "config.json")).ShouldBeFalse();
    }

    [Fact]
    public async Task No_credential_is_exit_2_with_a_hint_to_log_in()
    {
        var whoami = await _cli.RunAsync(null, "whoami");

        whoami.ExitCode.ShouldBe(2, whoami.ToString());
        whoami.Error.ShouldContain("fleet login --url");
        whoami.Out.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_bad_token_is_exit_1_with_the_401_problem_on_one_line()
    {
        var whoami = await _cli.RunAsync("fleet_pat_wrong", "whoami");

        whoami.ExitCode.ShouldBe(1, whoami.ToString());
        whoami.Error.ShouldContain("GET /api/v1/me: 401");
        whoami.Error.TrimEnd().ShouldNotContain('\n');
    }

    [Fact]
    public async Task Environment_variables_override_the_stored_login()
    {
        (await _cli.RunAsync(null, "login", "--url", CliRunner.ApiUrl, "--token", fixture.OperatorToken)).ExitCode.ShouldBe(0);

        var whoami = await _cli.RunAsync(fixture.ViewerToken, "whoami");

        whoami.Out.Trim().ShouldBe("cli-viewer (viewer, by token)");
    }

    [Fact]
    public async Task Without_a_login_the_local_apphost_state_is_found_from_a_subfolder()
    {
        var state = Path.Combine(_cli.Root, "repo", ".fleet");
        Directory.CreateDirectory(Path.Combine(state, "secrets"));
        var tokenFile = Path.Combine(state, "secrets", "operator-token");
        await File.WriteAllTextAsync(tokenFile, ApiFactory.OperatorToken + "\n", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(state, "apphost.json"), JsonSerializer.Serialize(new
        {
            ready = true,
            resources = new object[] { new { name = "web", urls = WebUrls }, new { name = "api", urls = ApiUrls } },
            secrets = new Dictionary<string, string> { ["operator-token"] = tokenFile },
        }), TestContext.Current.CancellationToken);
        _cli.WorkingDirectory = Path.Combine(_cli.Root, "repo", "Fleet.Api", "Rollouts");
        Directory.CreateDirectory(_cli.WorkingDirectory);

        var whoami = await _cli.RunAsync(null, "whoami");

        whoami.ExitCode.ShouldBe(0, whoami.ToString());
        whoami.Out.Trim().ShouldBe("break-glass (admin, by break-glass)");
    }

    [Fact]
    public async Task Status_counts_devices_rollouts_and_alerts()
    {
        var status = await _cli.RunAsync(fixture.ViewerToken, "status");
        var json = await _cli.RunAsync(fixture.ViewerToken, "status", "--json");

        status.ExitCode.ShouldBe(0, status.ToString());
        status.Out.ShouldContain("Devices");
        status.Out.ShouldContain("Rollouts");
        status.Out.ShouldContain("Alerts");
        using var document = JsonDocument.Parse(json.Out);
        document.RootElement.GetProperty("fleet").Deserialize<FleetStatsResponse>(JsonSerializerOptions.Web).ShouldNotBeNull();
        document.RootElement.GetProperty("alerts").Deserialize<AlertCountsResponse>(JsonSerializerOptions.Web).ShouldNotBeNull();
    }

    [Fact]
    public async Task Unknown_commands_and_missing_arguments_are_exit_2()
    {
        (await _cli.RunAsync(fixture.ViewerToken, "rollout", "frobnicate")).ExitCode.ShouldBe(2);
        (await _cli.RunAsync(fixture.ViewerToken, "rollout", "pause")).ExitCode.ShouldBe(2);
        (await _cli.RunAsync(fixture.ViewerToken, "rollout", "show", "not-a-guid")).ExitCode.ShouldBe(2);
        var help = await _cli.RunAsync(null, "--help");
        help.ExitCode.ShouldBe(0);
        help.Out.ShouldContain("rollout");
    }

    public void Dispose() => _cli.Dispose();
}
