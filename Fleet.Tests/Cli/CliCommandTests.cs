using System.Text.Json;
using Fleet.Contracts;
using Fleet.Tests.Commands;
using Fleet.Tests.Rollouts;

namespace Fleet.Tests.Cli;

/// <summary><c>commands send</c> to a segment, <c>list</c>, <c>watch</c> and <c>cancel</c>, against devices on real sockets.</summary>
public sealed class CliCommandTests(CliFixture fixture) : IClassFixture<CliFixture>, IDisposable
{
    private readonly CliRunner _cli = new(fixture.Api);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static T Read<T>(CliResult result)
    {
        result.ExitCode.ShouldBe(0, result.ToString());
        return JsonSerializer.Deserialize<T>(result.Out, JsonSerializerOptions.Web)!;
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    private async Task<CommandResponse> SendAsync(Guid device, string verb) =>
        Read<CommandResponse>(await _cli.RunAsync(fixture.OperatorToken, "commands", "send", device.ToString(), verb, "--json"));

    [Fact]
    public async Task A_segment_in_the_target_syntax_reaches_every_matching_device_and_list_shows_it_per_device()
    {
        var tag = Unique("seg");
        var region = Unique("r");
        var devices = await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, 3, region, Cancellation, tags: [tag]);
        await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, 1, region, Cancellation, environment: "green", tags: [tag]);

        var sent = Read<CommandResponse>(await _cli.RunAsync(fixture.OperatorToken,
            "commands", "send", "--segment", $"tag={tag},region={region},env=blue", "set-interval", "45", "--ttl", "5m", "--json"));
        var ofDevice = Read<PagedList<DeviceCommandResponse>>(await _cli.RunAsync(fixture.ViewerToken, "commands", "list", devices[0].ToString(), "--json"));
        var table = await _cli.RunAsync(fixture.ViewerToken, "commands", "list", devices[1].ToString());
        var all = Read<PagedList<CommandResponse>>(await _cli.RunAsync(fixture.ViewerToken, "commands", "list", "--page-size", "5", "--json"));

        (sent.Devices, sent.DeviceId, sent.Name).ShouldBe((3, null, CommandNames.SetInterval));
        sent.Segment!.Regions.ShouldBe([region]);
        sent.Segment.Tags.ShouldBe([tag]);
        sent.Segment.Environment.ShouldBe("blue");
        sent.Parameters!["seconds"].GetInt32().ShouldBe(45);
        (sent.ExpiresAt - sent.CreatedAt).ShouldBe(TimeSpan.FromMinutes(5));
        var delivery = ofDevice.Items.ShouldHaveSingleItem();
        (delivery.CommandId, delivery.State, delivery.CreatedBy).ShouldBe((sent.Id, CommandStates.Queued, "cli-operator"));
        table.Out.ShouldContain(sent.Id.ToString());
        table.Out.ShouldContain("1 of 1 commands");
        all.Items.Count.ShouldBeLessThanOrEqualTo(5);
        all.Items.ShouldContain(command => command.Id == sent.Id);
    }

    [Theory]
    [InlineData("--segment|id=7c9e6679-7425-40de-944b-e07fc1f90ae7|identify")]
    [InlineData("--segment|colour=red|identify")]
    [InlineData("--segment||identify")]
    [InlineData("--segment|region=x|7c9e6679-7425-40de-944b-e07fc1f90ae7|identify")]
    [InlineData("--segment|region=x|set-interval")]
    [InlineData("--segment|region=x|identify|3")]
    [InlineData("not-a-device|reboot")]
    public async Task Bad_send_arguments_are_exit_2_and_send_nothing(string words)
    {
        var sent = await _cli.RunAsync(fixture.OperatorToken, ["commands", "send", .. words.Split('|')]);

        sent.ExitCode.ShouldBe(2, sent.ToString());
        sent.Out.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_segment_that_matches_no_device_is_the_apis_400_and_a_viewer_is_refused()
    {
        var nowhere = await _cli.RunAsync(fixture.OperatorToken, "commands", "send", "--segment", $"region={Unique("none")}", "reboot");
        var asViewer = await _cli.RunAsync(fixture.ViewerToken, "commands", "send", "--segment", "all", "identify");

        nowhere.ExitCode.ShouldBe(1, nowhere.ToString());
        nowhere.Error.ShouldContain("400");
        nowhere.Error.ShouldContain("segment: matches no active device");
        asViewer.ExitCode.ShouldBe(1, asViewer.ToString());
        asViewer.Error.ShouldContain("403");
    }

    [Fact]
    public async Task Watch_follows_a_command_until_the_device_completes_it_exit_0_or_rejects_it_exit_1()
    {
        using var device = await CommandTestDevice.RegisterAsync(fixture.Api);
        await device.ConnectAsync();
        var completed = await SendAsync(device.Id, "identify");
        (await device.ReceiveCommandAsync()).CommandId.ShouldBe(completed.Id);

        var watching = _cli.RunAsync(fixture.ViewerToken, "commands", "watch", device.Id.ToString(), completed.Id.ToString());
        await Task.Delay(300, Cancellation);
        watching.IsCompleted.ShouldBeFalse();
        (await device.ReportAsync(completed.Id, CommandStates.Accepted)).Outcome.ShouldBe("recorded");
        (await device.ReportAsync(completed.Id, CommandStates.Completed)).Outcome.ShouldBe("recorded");
        var watched = await watching.WaitAsync(TimeSpan.FromSeconds(30), Cancellation);

        watched.ExitCode.ShouldBe(0, watched.ToString());
        watched.Out.ShouldContain("queued -> sent");
        watched.Out.ShouldContain("sent -> accepted");
        watched.Out.ShouldContain("accepted -> completed");

        var rejected = await SendAsync(device.Id, "reboot");
        (await device.ReceiveCommandAsync()).CommandId.ShouldBe(rejected.Id);
        (await device.ReportAsync(rejected.Id, CommandStates.Rejected, "busy updating")).Outcome.ShouldBe("recorded");
        var json = await _cli.RunAsync(fixture.ViewerToken, "commands", "watch", device.Id.ToString(), rejected.Id.ToString(), "--json");

        json.ExitCode.ShouldBe(1, json.ToString());
        json.Error.ShouldContain("rejected");
        json.Error.ShouldContain("busy updating");
        var changes = json.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonSerializer.Deserialize<CommandEventResponse>(line, JsonSerializerOptions.Web)!).ToList();
        changes[^1].ShouldBe(changes[^1] with { From = CommandStates.Sent, To = CommandStates.Rejected, Reason = "busy updating" });
    }

    [Fact]
    public async Task Cancel_fails_a_queued_command_and_watch_then_exits_1_naming_who_cancelled()
    {
        var device = (await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, 1, Unique("r"), Cancellation))[0];
        var sent = await SendAsync(device, "reboot");

        var asViewer = await _cli.RunAsync(fixture.ViewerToken, "commands", "cancel", sent.Id.ToString());
        var cancelled = Read<CommandResponse>(await _cli.RunAsync(fixture.OperatorToken, "commands", "cancel", sent.Id.ToString(), "--reason", "wrong device", "--json"));
        var watched = await _cli.RunAsync(fixture.ViewerToken, "commands", "watch", device.ToString(), sent.Id.ToString());
        var unknown = await _cli.RunAsync(fixture.OperatorToken, "commands", "cancel", Guid.NewGuid().ToString());

        asViewer.ExitCode.ShouldBe(1, asViewer.ToString());
        asViewer.Error.ShouldContain("403");
        cancelled.ByState[CommandStates.Failed].ShouldBe(1);
        watched.ExitCode.ShouldBe(1, watched.ToString());
        watched.Out.ShouldContain("queued -> failed");
        watched.Error.ShouldContain("cancelled by cli-operator: wrong device");
        unknown.ExitCode.ShouldBe(1, unknown.ToString());
        unknown.Error.ShouldContain("404");
    }

    [Fact]
    public async Task Watch_gives_up_after_its_timeout_and_a_command_the_device_never_had_is_a_404()
    {
        var device = (await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, 1, Unique("r"), Cancellation))[0];
        var sent = await SendAsync(device, "identify");

        var waited = await _cli.RunAsync(fixture.ViewerToken, "commands", "watch", device.ToString(), sent.Id.ToString(), "--timeout", "1s");
        var otherDevice = await _cli.RunAsync(fixture.ViewerToken, "commands", "watch", Guid.NewGuid().ToString(), sent.Id.ToString());

        waited.ExitCode.ShouldBe(1, waited.ToString());
        waited.Out.ShouldContain("-> queued");
        waited.Error.ShouldContain("had not ended");
        otherDevice.ExitCode.ShouldBe(1, otherDevice.ToString());
        otherDevice.Error.ShouldContain("404");
    }

    public void Dispose() => _cli.Dispose();
}
