using Fleet.Contracts;

namespace Fleet.Tests.Commands;

/// <summary>The device channel takes text by the same rule as HTTP bodies: a report with NUL is answered "unreadable", never stored.</summary>
public sealed class DeviceChannelTextTests(CommandsApiFixture fixture) : IClassFixture<CommandsApiFixture>
{
    [Fact]
    public async Task A_report_whose_reason_holds_NUL_is_unreadable_and_the_channel_goes_on()
    {
        using var device = await CommandTestDevice.RegisterAsync(fixture.Api);
        await device.ConnectAsync();
        var command = await fixture.SendAsync(new SendCommandRequest(CommandNames.Reboot, DeviceId: device.Id));
        (await device.ReceiveCommandAsync()).CommandId.ShouldBe(command.Id);

        var poisoned = await device.ReportAsync(command.Id, "rejected", "battery\0low");

        (poisoned.Type, poisoned.Outcome).ShouldBe((DeviceChannel.Error, "unreadable"));
        (await device.ReportAsync(command.Id, "rejected", "battery low")).Outcome.ShouldBe("recorded");
        (await fixture.DeliveryAsync(command.Id, device.Id)).Reason.ShouldBe("battery low");
    }
}
