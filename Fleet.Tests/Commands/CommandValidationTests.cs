using System.Net;
using System.Net.Http.Json;
using System.Text;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rollouts;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Tests.Commands;

/// <summary>Bad commands through the API: each is a problem naming the field, and nothing is stored.</summary>
public sealed class CommandValidationTests(CommandResendFixture fixture) : IClassFixture<CommandResendFixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("""{"name":"dance","deviceId":"{device}"}""", "name")]
    [InlineData("""{"deviceId":"{device}"}""", "name")]
    [InlineData("""{"name":"set_interval","deviceId":"{device}"}""", "parameters.seconds")]
    [InlineData("""{"name":"set_interval","parameters":{"seconds":"ten"},"deviceId":"{device}"}""", "parameters.seconds")]
    [InlineData("""{"name":"set_interval","parameters":{"seconds":1.5},"deviceId":"{device}"}""", "parameters.seconds")]
    [InlineData("""{"name":"set_interval","parameters":{"seconds":0},"deviceId":"{device}"}""", "parameters.seconds")]
    [InlineData("""{"name":"set_interval","parameters":{"seconds":3601},"deviceId":"{device}"}""", "parameters.seconds")]
    [InlineData("""{"name":"set_interval","parameters":{"seconds":5,"extra":1},"deviceId":"{device}"}""", "parameters")]
    [InlineData("""{"name":"set_config","deviceId":"{device}"}""", "parameters")]
    [InlineData("""{"name":"set_config","parameters":{},"deviceId":"{device}"}""", "parameters")]
    [InlineData("""{"name":"set_config","parameters":{"mode":[1]},"deviceId":"{device}"}""", "parameters.mode")]
    [InlineData("""{"name":"set_config","parameters":{"mode":{"a":1}},"deviceId":"{device}"}""", "parameters.mode")]
    [InlineData("""{"name":"set_config","parameters":{"mode":null},"deviceId":"{device}"}""", "parameters.mode")]
    [InlineData("""{"name":"reboot","parameters":{"now":true},"deviceId":"{device}"}""", "parameters")]
    [InlineData("""{"name":"identify","parameters":[1],"deviceId":"{device}"}""", "parameters")]
    [InlineData("""{"name":"reboot"}""", "deviceId")]
    [InlineData("""{"name":"reboot","deviceId":"{device}","segment":{}}""", "deviceId")]
    [InlineData("""{"name":"reboot","segment":{"environment":"red"}}""", "segment.environment")]
    [InlineData("""{"name":"reboot","segment":{"tags":[""]}}""", "segment.tags")]
    [InlineData("""{"name":"reboot","segment":{"regions":["nowhere-at-all"]}}""", "segment")]
    [InlineData("""{"name":"reboot","deviceId":"{device}","ttlSeconds":0}""", "ttlSeconds")]
    [InlineData("""{"name":"reboot","deviceId":"{device}","ttlSeconds":99999999}""", "ttlSeconds")]
    public async Task A_bad_command_is_a_400_naming_the_field_and_nothing_is_stored(string body, string field)
    {
        using var device = await CommandTestDevice.RegisterAsync(fixture.Api);
        using var response = await PostAsync(body.Replace("{device}", device.Id.ToString()));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation))!.Errors.Keys.ShouldContain(field);
        (await fixture.Operator.GetFromJsonAsync<PagedList<DeviceCommandResponse>>(CommandsHttp.OfDevice(device.Id), Cancellation))!.Total.ShouldBe(0);
    }

    [Fact]
    public async Task A_wrong_typed_field_an_unknown_device_and_an_inactive_one_are_problems_that_say_which()
    {
        using (var wrongType = await PostAsync($$"""{"name":"reboot","deviceId":"{{Guid.NewGuid()}}","ttlSeconds":"soon"}"""))
        {
            wrongType.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await wrongType.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!.Detail!.ShouldContain("ttlSeconds");
        }

        using (var unknown = await PostAsync($$"""{"name":"reboot","deviceId":"{{Guid.NewGuid()}}"}"""))
        {
            unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
            (await unknown.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!.Detail.ShouldStartWith("deviceId");
        }

        var suspended = (await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, 1, "eu-west", Cancellation)).Single();
        await Sql.ExecuteAsync(fixture.Api.DatabaseConnectionString, "UPDATE devices SET lifecycle = 'Suspended' WHERE id = $1", Cancellation, suspended);
        using (var inactive = await PostAsync($$"""{"name":"reboot","deviceId":"{{suspended}}"}"""))
        {
            inactive.StatusCode.ShouldBe(HttpStatusCode.Conflict);
            (await inactive.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!.Extensions["current"]!.ToString().ShouldBe("suspended");
        }

        using var anonymous = fixture.Api.CreateClient();
        (await anonymous.PostAsJsonAsync(CommandsHttp.Route, new SendCommandRequest(CommandNames.Reboot, DeviceId: suspended), Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_segment_beyond_the_fan_out_cap_is_refused_and_one_within_it_is_sent()
    {
        var region = $"cap-{Guid.NewGuid():N}"[..20];
        await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, 5, region, Cancellation);
        (await fixture.SendAsync(new SendCommandRequest(CommandNames.Identify, Segment: new CommandSegment(Regions: [region])))).Devices.ShouldBe(5);

        await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, 1, region, Cancellation);
        using var response = await fixture.Operator.PostAsJsonAsync(CommandsHttp.Route, new SendCommandRequest(CommandNames.Identify, Segment: new CommandSegment(Regions: [region])), Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation))!.Errors["segment"].Single().ShouldContain("more than 5");
    }

    [Fact]
    public async Task A_device_that_never_reports_is_resent_to_then_failed_after_the_last_attempt()
    {
        using var device = await CommandTestDevice.RegisterAsync(fixture.Api);
        await device.ConnectAsync();
        var command = await fixture.SendAsync(new SendCommandRequest(CommandNames.Identify, DeviceId: device.Id));

        (await device.ReceiveCommandAsync()).CommandId.ShouldBe(command.Id);
        (await device.ReceiveCommandAsync()).CommandId.ShouldBe(command.Id);

        var failed = await fixture.EventuallyStateAsync(command.Id, device.Id, "failed");
        (failed.Reason, failed.Attempts).ShouldBe(("no acknowledgement", 2));
        (await fixture.EventsAsync(command.Id, device.Id)).ShouldBe(["none->queued", "queued->sent", "sent->sent", "sent->failed"]);
        (await device.ReportAsync(command.Id, "completed")).Outcome.ShouldBe("illegal");
    }

    [Fact]
    public async Task A_report_after_a_resend_settles_the_command_and_stops_the_resends()
    {
        using var device = await CommandTestDevice.RegisterAsync(fixture.Api);
        await device.ConnectAsync();
        var command = await fixture.SendAsync(new SendCommandRequest(CommandNames.Reboot, DeviceId: device.Id));
        (await device.ReceiveCommandAsync()).CommandId.ShouldBe(command.Id);
        (await device.ReceiveCommandAsync()).CommandId.ShouldBe(command.Id);

        // The second copy can be the channel's re-send of outstanding commands on connect, racing the first send,
        // rather than the sweeper's resend: wait for the resend itself before reporting.
        await Eventually.TrueAsync(async () => (await fixture.DeliveryAsync(command.Id, device.Id)).Attempts == 2,
            TimeSpan.FromSeconds(20), "the sweeper to resend the unacknowledged command", Cancellation);
        (await device.ReportAsync(command.Id, "completed")).Outcome.ShouldBe("recorded");

        var delivery = await fixture.DeliveryAsync(command.Id, device.Id);
        (delivery.State, delivery.Attempts).ShouldBe(("completed", 2));
        (await fixture.EventsAsync(command.Id, device.Id)).ShouldBe(["none->queued", "queued->sent", "sent->sent", "sent->completed"]);
    }

    private async Task<HttpResponseMessage> PostAsync(string body) =>
        await fixture.Operator.PostAsync(CommandsHttp.Route, new StringContent(body, Encoding.UTF8, "application/json"), Cancellation);
}
