using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.Tests.Firmware;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Cli;

/// <summary>Devices, alerts and commands from the command line.</summary>
public sealed class CliOperationsTests(CliFixture fixture) : IClassFixture<CliFixture>, IDisposable
{
    private readonly CliRunner _cli = new(fixture.Api);
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static T Read<T>(CliResult result)
    {
        result.ExitCode.ShouldBe(0, result.ToString());
        return JsonSerializer.Deserialize<T>(result.Out, JsonSerializerOptions.Web)!;
    }

    private async Task<RegisterDeviceResponse> RegisterAsync(string tag) =>
        await _http.RegisterDeviceAsync(DeviceClient.Registration($"CLI-{Guid.NewGuid():N}") with { Tags = [tag] }, Cancellation);

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task Devices_are_listed_by_filter_shown_suspended_activated_and_retired()
    {
        var tag = Unique("dev");
        var device = await RegisterAsync(tag);
        var id = device.DeviceId.ToString();

        var list = Read<DeviceListResponse>(await _cli.RunAsync(fixture.ViewerToken, "devices", "list", "--tag", tag, "--json"));
        var table = await _cli.RunAsync(fixture.ViewerToken, "devices", "list", "--tag", tag);
        var shown = Read<DeviceDetail>(await _cli.RunAsync(fixture.ViewerToken, "devices", "show", id, "--json"));

        list.Items.ShouldHaveSingleItem().Id.ShouldBe(device.DeviceId);
        table.Out.ShouldContain(list.Items[0].Serial);
        shown.Device.Id.ShouldBe(device.DeviceId);
        var lifecycle = shown.Device.Lifecycle;
        if (lifecycle != "active")
        {
            Read<DeviceSummary>(await _cli.RunAsync(fixture.OperatorToken, "devices", "activate", id, "--json")).Lifecycle.ShouldBe("active");
        }

        Read<DeviceSummary>(await _cli.RunAsync(fixture.OperatorToken, "devices", "suspend", id, "--json")).Lifecycle.ShouldBe("suspended");
        Read<DeviceSummary>(await _cli.RunAsync(fixture.OperatorToken, "devices", "activate", id, "--json")).Lifecycle.ShouldBe("active");
        var retireAsOperator = await _cli.RunAsync(fixture.OperatorToken, "devices", "retire", id);
        retireAsOperator.ExitCode.ShouldBe(1);
        retireAsOperator.Error.ShouldContain("403");
        Read<DeviceSummary>(await _cli.RunAsync(fixture.AdminToken, "devices", "retire", id, "--json")).Lifecycle.ShouldBe("retired");
        var suspendRetired = await _cli.RunAsync(fixture.OperatorToken, "devices", "suspend", id);
        suspendRetired.ExitCode.ShouldBe(1, suspendRetired.ToString());
        suspendRetired.Error.ShouldContain("409");
    }

    [Fact]
    public async Task A_device_is_moved_to_green_and_back_and_a_viewer_or_a_bad_colour_is_refused()
    {
        var tag = Unique("env");
        var device = await RegisterAsync(tag);
        var id = device.DeviceId.ToString();

        var green = Read<DeviceSummary>(await _cli.RunAsync(fixture.OperatorToken, "devices", "set-environment", id, "green", "--json"));
        var listed = Read<DeviceListResponse>(await _cli.RunAsync(fixture.ViewerToken, "devices", "list", "--tag", tag, "--env", "green", "--json"));
        var asViewer = await _cli.RunAsync(fixture.ViewerToken, "devices", "set-environment", id, "blue");
        var purple = await _cli.RunAsync(fixture.OperatorToken, "devices", "set-environment", id, "purple");
        var blue = await _cli.RunAsync(fixture.OperatorToken, "devices", "set-environment", id, "blue");

        green.Environment.ShouldBe("green");
        listed.Items.ShouldHaveSingleItem().Id.ShouldBe(device.DeviceId);
        asViewer.ExitCode.ShouldBe(1, asViewer.ToString());
        asViewer.Error.ShouldContain($"PUT {DeviceEnvironments.Route(device.DeviceId)}: 403");
        purple.ExitCode.ShouldBe(2, purple.ToString());
        blue.ExitCode.ShouldBe(0, blue.ToString());
        blue.Out.ShouldContain($"{id}  {green.Serial}  blue");
    }

    [Fact]
    public async Task A_low_battery_alert_is_listed_acknowledged_and_resolved_with_notes()
    {
        var tag = Unique("battery");
        using (var rule = await _http.AsOperator().PostAsJsonAsync("/api/v1/alert-rules", new AlertRuleRequest("Battery low (cli)", "battery_low", "critical", new AlertScope(Tags: [tag])), Cancellation))
        {
            rule.StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        var device = await RegisterAsync(tag);
        using (var heartbeat = await _http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, device.DeviceKey, JsonContent.Create(new HeartbeatRequest(12, -60, "1.0.0", "A", 10)), Cancellation))
        {
            heartbeat.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        }

        var alert = await Eventually.GetAsync(async () =>
            Read<AlertListResponse>(await _cli.RunAsync(fixture.ViewerToken, "alerts", "list", "--open", "--json")).Items.FirstOrDefault(a => a.DeviceId == device.DeviceId),
            TimeSpan.FromSeconds(20), "the low battery alert", Cancellation);
        var table = await _cli.RunAsync(fixture.ViewerToken, "alerts", "list", "--open");
        table.Out.ShouldContain(alert.Id.ToString());

        var acknowledged = Read<AlertResponse>(await _cli.RunAsync(fixture.OperatorToken, "alerts", "ack", alert.Id.ToString(), "--note", "replacing it", "--json"));
        (acknowledged.State, acknowledged.AcknowledgedBy, acknowledged.AcknowledgeNote).ShouldBe(("acknowledged", "cli-operator", "replacing it"));
        var again = await _cli.RunAsync(fixture.OperatorToken, "alerts", "ack", alert.Id.ToString());
        again.ExitCode.ShouldBe(1);
        again.Error.ShouldContain("409");
        var resolved = Read<AlertResponse>(await _cli.RunAsync(fixture.OperatorToken, "alerts", "resolve", alert.Id.ToString(), "--note", "replaced", "--json"));
        (resolved.State, resolved.ResolveNote).ShouldBe(("resolved", "replaced"));
    }

    [Fact]
    public async Task Commands_are_sent_to_a_device_with_their_parameters_and_time_to_live()
    {
        var device = await RegisterAsync(Unique("cmd"));
        var id = device.DeviceId.ToString();
        var state = Read<DeviceDetail>(await _cli.RunAsync(fixture.ViewerToken, "devices", "show", id, "--json")).Device.Lifecycle;
        if (state != "active")
        {
            (await _cli.RunAsync(fixture.OperatorToken, "devices", "activate", id)).ExitCode.ShouldBe(0);
        }

        var reboot = Read<CommandResponse>(await _cli.RunAsync(fixture.OperatorToken, "commands", "send", id, "reboot", "--ttl", "10m", "--json"));
        var interval = Read<CommandResponse>(await _cli.RunAsync(fixture.OperatorToken, "commands", "send", id, "set-interval", "30", "--json"));

        (reboot.Name, reboot.DeviceId, reboot.Devices, reboot.CreatedBy).ShouldBe((CommandNames.Reboot, device.DeviceId, 1, "cli-operator"));
        (reboot.ExpiresAt - reboot.CreatedAt).ShouldBe(TimeSpan.FromMinutes(10));
        interval.Name.ShouldBe(CommandNames.SetInterval);
        interval.Parameters!["seconds"].GetInt32().ShouldBe(30);
        (await _cli.RunAsync(fixture.OperatorToken, "commands", "send", id, "set-interval")).ExitCode.ShouldBe(2);
        (await _cli.RunAsync(fixture.OperatorToken, "commands", "send", id, "explode")).ExitCode.ShouldBe(2);
        var tooLong = await _cli.RunAsync(fixture.OperatorToken, "commands", "send", id, "set-interval", "100000");
        tooLong.ExitCode.ShouldBe(1, tooLong.ToString());
        tooLong.Error.ShouldContain("parameters.seconds");
        var asViewer = await _cli.RunAsync(fixture.ViewerToken, "commands", "send", id, "identify");
        asViewer.ExitCode.ShouldBe(1);
        asViewer.Error.ShouldContain("403");
    }

    public void Dispose()
    {
        _http.Dispose();
        _cli.Dispose();
    }
}
