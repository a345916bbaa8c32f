using System.Security.Cryptography;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.Tests.Rollouts;

namespace Fleet.Tests.Cli;

public sealed class CliRolloutTests(CliFixture fixture) : IClassFixture<CliFixture>, IDisposable
{
    private readonly CliRunner _cli = new(fixture.Api);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static T Read<T>(CliResult result)
    {
        result.ExitCode.ShouldBe(0, result.ToString());
        return JsonSerializer.Deserialize<T>(result.Out, JsonSerializerOptions.Web)!;
    }

    private static string NewVersion() => $"3.{Random.Shared.Next(1_000_000)}.{Random.Shared.Next(1_000_000)}";

    private async Task<FirmwareReleaseResponse> PublishAsync(string version)
    {
        var artefact = Path.Combine(_cli.Root, $"{version}.bin");
        await File.WriteAllBytesAsync(artefact, [1, 2, 3, 4, 5, 6, 7], Cancellation);
        return Read<FirmwareReleaseResponse>(await _cli.RunAsync(fixture.AdminToken,
            "firmware", "publish", "--version", version, "--file", artefact, "--types", "meter,camera", "--notes", "from the cli", "--json"));
    }

    /// <summary>A draft rollout of a new release to <paramref name="devices"/> new meters in a region of their own.</summary>
    private async Task<RolloutResponse> NewRolloutAsync(int devices = 3)
    {
        var region = $"r-{Guid.NewGuid():N}"[..20];
        await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, devices, region, Cancellation);
        var release = await PublishAsync(NewVersion());
        return Read<RolloutResponse>(await _cli.RunAsync(fixture.OperatorToken,
            "rollout", "create", "--release", release.Version, "--target", $"type=meter,region={region}", "--phases", "1,10,50,100", "--soak", "10m", "--json"));
    }

    [Fact]
    public async Task Create_sends_the_first_phase_strata_and_the_gates_minimum_and_an_impossible_one_is_the_apis_400()
    {
        var region = $"r-{Guid.NewGuid():N}"[..20];
        await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, 4, region, Cancellation);
        var release = await PublishAsync(NewVersion());

        var created = Read<RolloutResponse>(await _cli.RunAsync(fixture.OperatorToken, "rollout", "create", "--release", release.Version,
            "--target", $"type=meter,region={region}", "--min-per-stratum", "2", "--minimum-executed", "3", "--json"));
        var refused = await _cli.RunAsync(fixture.OperatorToken, "rollout", "create", "--release", release.Version,
            "--target", $"type=meter,region={region}", "--min-per-stratum", "5");

        (created.Plan.MinPerStratum, created.Plan.MinimumExecuted).ShouldBe((2, 3));
        created.Plan.Phases!.Count.ShouldBe(4);
        refused.ExitCode.ShouldBe(1, refused.ToString());
        refused.Error.ShouldContain("minPerStratum");
    }

    [Fact]
    public async Task Firmware_publish_prints_the_servers_hash_and_list_shows_the_release()
    {
        var version = NewVersion();
        var artefact = Path.Combine(_cli.Root, "firmware.bin");
        byte[] bytes = [9, 8, 7, 6, 5];
        await File.WriteAllBytesAsync(artefact, bytes, Cancellation);

        var published = await _cli.RunAsync(fixture.AdminToken,
            "firmware", "publish", "--version", version, "--file", artefact, "--types", "meter,camera", "--revisions", "rev-a", "--min-version", "1.0.0");
        var list = Read<FirmwareListResponse>(await _cli.RunAsync(fixture.ViewerToken, "firmware", "list", "--json"));
        var table = await _cli.RunAsync(fixture.ViewerToken, "firmware", "list");

        published.ExitCode.ShouldBe(0, published.ToString());
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        published.Out.ShouldContain(sha256);
        published.Out.ShouldContain("5 B");
        var release = list.Items.Single(r => r.Version == version);
        (release.Sha256, release.Size, release.MinimumCurrentVersion).ShouldBe((sha256, 5L, "1.0.0"));
        release.DeviceTypes.ShouldBe(["meter", "camera"], ignoreOrder: true);
        release.HardwareRevisions.ShouldBe(["rev-a"]);
        published.Out.ShouldContain(release.Id.ToString());
        table.Out.ShouldContain(version);
    }

    [Fact]
    public async Task Publish_draws_an_upload_bar_on_a_terminal_only_and_prints_the_servers_sha256()
    {
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        var artefact = Path.Combine(_cli.Root, "big.bin");
        await File.WriteAllBytesAsync(artefact, bytes, Cancellation);
        string[] Publish(params string[] more) =>
            ["firmware", "publish", "--version", $"4.{Random.Shared.Next(1_000_000)}.{Random.Shared.Next(1_000_000)}", "--file", artefact, "--types", "meter", .. more];

        _cli.Terminal = true;
        var onTerminal = await _cli.RunAsync(fixture.AdminToken, Publish());
        var jsonOnTerminal = await _cli.RunAsync(fixture.AdminToken, Publish("--json"));
        _cli.Terminal = false;
        var redirected = await _cli.RunAsync(fixture.AdminToken, Publish());

        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        onTerminal.ExitCode.ShouldBe(0, onTerminal.ToString());
        onTerminal.Out.ShouldContain("\rUploading [");
        onTerminal.Out.ShouldContain("100%  300,000 B of 300,000 B\n");
        onTerminal.Out.ShouldContain($"sha256  {sha256}");
        Read<FirmwareReleaseResponse>(jsonOnTerminal).Sha256.ShouldBe(sha256);
        redirected.ExitCode.ShouldBe(0, redirected.ToString());
        redirected.Out.ShouldNotContain("Uploading");
        redirected.Out.ShouldContain($"sha256  {sha256}");
    }

    [Fact]
    public async Task Publishing_needs_an_admin_and_a_version_taken_is_refused()
    {
        var version = NewVersion();
        await PublishAsync(version);
        var artefact = Path.Combine(_cli.Root, "again.bin");
        await File.WriteAllBytesAsync(artefact, [1], Cancellation);

        var again = await _cli.RunAsync(fixture.AdminToken, "firmware", "publish", "--version", version, "--file", artefact, "--types", "meter");
        var asOperator = await _cli.RunAsync(fixture.OperatorToken, "firmware", "publish", "--version", NewVersion(), "--file", artefact, "--types", "meter");
        var noFile = await _cli.RunAsync(fixture.AdminToken, "firmware", "publish", "--version", NewVersion(), "--file", Path.Combine(_cli.Root, "absent.bin"), "--types", "meter");

        again.ExitCode.ShouldBe(1, again.ToString());
        again.Error.ShouldContain("409");
        asOperator.ExitCode.ShouldBe(1, asOperator.ToString());
        asOperator.Error.ShouldContain("403");
        noFile.ExitCode.ShouldBe(2, noFile.ToString());
    }

    [Fact]
    public async Task A_rollout_is_created_started_paused_resumed_and_shown()
    {
        var rollout = await NewRolloutAsync(devices: 3);
        rollout.State.ShouldBe("draft");
        rollout.Compatible.ShouldBe(3);
        rollout.Plan.Phases!.Select(p => (p.Percent, p.MinimumSoak)).ShouldBe([(1, TimeSpan.FromMinutes(10)), (10, TimeSpan.FromMinutes(10)), (50, TimeSpan.FromMinutes(10)), (100, TimeSpan.FromMinutes(10))]);
        var id = rollout.Id.ToString();

        Read<RolloutResponse>(await _cli.RunAsync(fixture.OperatorToken, "rollout", "start", id, "--reason", "canary", "--json")).State.ShouldBe("running");
        var paused = await _cli.RunAsync(fixture.OperatorToken, "rollout", "pause", id, "--reason", "looking");
        paused.ExitCode.ShouldBe(0, paused.ToString());
        paused.Out.ShouldContain("paused");
        var pausedAgain = await _cli.RunAsync(fixture.OperatorToken, "rollout", "pause", id);
        pausedAgain.ExitCode.ShouldBe(1);
        pausedAgain.Error.ShouldContain("409");
        Read<RolloutResponse>(await _cli.RunAsync(fixture.OperatorToken, "rollout", "resume", id, "--json")).State.ShouldBe("running");

        var shown = await _cli.RunAsync(fixture.ViewerToken, "rollout", "show", id);
        shown.ExitCode.ShouldBe(0, shown.ToString());
        shown.Out.ShouldContain("running");
        shown.Out.ShouldContain(rollout.ReleaseVersion);
        shown.Out.ShouldContain("3 compatible");
        var detail = Read<RolloutResponse>(await _cli.RunAsync(fixture.ViewerToken, "rollout", "show", id, "--json"));
        detail.Phases.ShouldNotBeNull().Count.ShouldBe(4);
        var list = Read<PagedList<RolloutResponse>>(await _cli.RunAsync(fixture.ViewerToken, "rollout", "list", "--state", "running", "--json"));
        list.Items.ShouldContain(r => r.Id == rollout.Id);

        Read<RolloutResponse>(await _cli.RunAsync(fixture.OperatorToken, "rollout", "abort", id, "--json")).State.ShouldBe("aborted");
    }

    [Fact]
    public async Task Rollout_devices_lists_update_states_and_gates_lists_evaluations()
    {
        var rollout = await NewRolloutAsync(devices: 4);
        var id = rollout.Id.ToString();

        var devices = Read<PagedList<RolloutDeviceResponse>>(await _cli.RunAsync(fixture.ViewerToken, "rollout", "devices", id, "--json"));
        var waiting = Read<PagedList<RolloutDeviceResponse>>(await _cli.RunAsync(fixture.ViewerToken, "rollout", "devices", id, "--state", "waiting", "--limit", "2", "--json"));
        var table = await _cli.RunAsync(fixture.ViewerToken, "rollout", "devices", id);
        var gates = Read<PagedList<GateEvaluationResponse>>(await _cli.RunAsync(fixture.ViewerToken, "rollout", "gates", id, "--json"));
        var gatesTable = await _cli.RunAsync(fixture.ViewerToken, "rollout", "gates", id);
        var badState = await _cli.RunAsync(fixture.ViewerToken, "rollout", "devices", id, "--state", "sleepy");

        devices.Total.ShouldBe(4);
        devices.Items.ShouldAllBe(d => d.State == "waiting");
        (waiting.Total, waiting.Items.Count).ShouldBe((4, 2));
        table.Out.ShouldContain(devices.Items[0].DeviceId.ToString());
        table.Out.ShouldContain("4 of 4 devices");
        gates.Total.ShouldBe(0);
        gatesTable.ExitCode.ShouldBe(0, gatesTable.ToString());
        badState.ExitCode.ShouldBe(1, badState.ToString());
        badState.Error.ShouldContain("400");
    }

    [Fact]
    public async Task Create_with_start_by_release_id_starts_it()
    {
        var region = $"r-{Guid.NewGuid():N}"[..20];
        await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, 2, region, Cancellation);
        var release = await PublishAsync(NewVersion());

        var rollout = Read<RolloutResponse>(await _cli.RunAsync(fixture.OperatorToken,
            "rollout", "create", "--release", release.Id.ToString(), "--target", $"region={region}", "--start", "--json"));

        rollout.State.ShouldBe("running");
        rollout.Target.Regions.ShouldBe([region]);
        rollout.Plan.Phases!.Select(p => p.Percent).ShouldBe([1, 10, 50, 100]);
        (await _cli.RunAsync(fixture.OperatorToken, "rollout", "abort", rollout.Id.ToString())).ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task A_viewer_cannot_pause_a_rollout_exit_1_with_the_403_problem()
    {
        var rollout = await NewRolloutAsync(devices: 1);
        (await _cli.RunAsync(fixture.OperatorToken, "rollout", "start", rollout.Id.ToString())).ExitCode.ShouldBe(0);

        var pause = await _cli.RunAsync(fixture.ViewerToken, "rollout", "pause", rollout.Id.ToString(), "--reason", "not mine");

        pause.ExitCode.ShouldBe(1, pause.ToString());
        pause.Error.ShouldContain($"POST {RolloutHttp.Action(rollout.Id, "pause")}: 403");
        Read<RolloutResponse>(await _cli.RunAsync(fixture.ViewerToken, "rollout", "show", rollout.Id.ToString(), "--json")).State.ShouldBe("running");
        (await _cli.RunAsync(fixture.OperatorToken, "rollout", "abort", rollout.Id.ToString())).ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task Watch_exits_0_for_a_completed_rollout_and_1_for_an_aborted_one()
    {
        var completed = await NewRolloutAsync(devices: 2);
        var aborted = await NewRolloutAsync(devices: 2);
        (await _cli.RunAsync(fixture.OperatorToken, "rollout", "start", completed.Id.ToString())).ExitCode.ShouldBe(0);
        for (var phase = 0; phase < 4; phase++)
        {
            var advanced = await _cli.RunAsync(fixture.OperatorToken, "rollout", "advance", completed.Id.ToString(), "--reason", "by hand");
            advanced.ExitCode.ShouldBe(0, advanced.ToString());
        }

        (await _cli.RunAsync(fixture.OperatorToken, "rollout", "abort", aborted.Id.ToString(), "--reason", "changed my mind")).ExitCode.ShouldBe(0);

        var watchedCompleted = await _cli.RunAsync(fixture.ViewerToken, "rollout", "watch", completed.Id.ToString());
        var watchedAborted = await _cli.RunAsync(fixture.ViewerToken, "rollout", "watch", aborted.Id.ToString());

        watchedCompleted.ExitCode.ShouldBe(0, watchedCompleted.ToString());
        watchedCompleted.Out.ShouldContain("completed");
        watchedAborted.ExitCode.ShouldBe(1, watchedAborted.ToString());
        watchedAborted.Out.ShouldContain("aborted");
    }

    [Fact]
    public async Task Watch_follows_a_running_rollout_until_it_is_paused()
    {
        var rollout = await NewRolloutAsync(devices: 2);
        (await _cli.RunAsync(fixture.OperatorToken, "rollout", "start", rollout.Id.ToString())).ExitCode.ShouldBe(0);

        var watching = _cli.RunAsync(fixture.ViewerToken, "rollout", "watch", rollout.Id.ToString());
        await Task.Delay(300, Cancellation);
        watching.IsCompleted.ShouldBeFalse();
        (await _cli.RunAsync(fixture.OperatorToken, "rollout", "pause", rollout.Id.ToString())).ExitCode.ShouldBe(0);
        var watched = await watching.WaitAsync(TimeSpan.FromSeconds(30), Cancellation);

        watched.ExitCode.ShouldBe(1, watched.ToString());
        watched.Out.ShouldContain("running phase 1/4");
        watched.Out.ShouldContain("paused phase");
        (await _cli.RunAsync(fixture.OperatorToken, "rollout", "abort", rollout.Id.ToString())).ExitCode.ShouldBe(0);
    }

    [Theory]
    [InlineData("type")]
    [InlineData("colour=red")]
    [InlineData("id=12")]
    [InlineData("env=blue,env=green")]
    public async Task A_bad_target_is_exit_2_and_creates_nothing(string target)
    {
        var before = Read<PagedList<RolloutResponse>>(await _cli.RunAsync(fixture.ViewerToken, "rollout", "list", "--json")).Total;

        var created = await _cli.RunAsync(fixture.OperatorToken, "rollout", "create", "--release", "1.0.0", "--target", target);

        created.ExitCode.ShouldBe(2, created.ToString());
        created.Error.ShouldContain("--target");
        Read<PagedList<RolloutResponse>>(await _cli.RunAsync(fixture.ViewerToken, "rollout", "list", "--json")).Total.ShouldBe(before);
    }

    [Fact]
    public async Task A_bad_soak_or_phases_is_exit_2()
    {
        (await _cli.RunAsync(fixture.OperatorToken, "rollout", "create", "--release", "1.0.0", "--soak", "soon")).ExitCode.ShouldBe(2);
        (await _cli.RunAsync(fixture.OperatorToken, "rollout", "create", "--release", "1.0.0", "--phases", "1,200")).ExitCode.ShouldBe(2);
    }

    public void Dispose() => _cli.Dispose();
}
