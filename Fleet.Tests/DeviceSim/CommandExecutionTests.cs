using System.Text.Json;
using Fleet.Contracts;
using Fleet.DeviceSim;
using Fleet.DeviceSim.Commands;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Identity;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Tests.DeviceSim;

/// <summary>The device side of commands: given a command message, what the device reports and what it does.</summary>
public sealed class CommandExecutionTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _clock = new(Start);
    private readonly VirtualDevice _device;
    private readonly RecordingLink _link;
    private readonly DeviceCommands _commands;
    private readonly SimulatorStatus _status = new();

    public CommandExecutionTests()
    {
        _device = new VirtualDevice(1, new SimulatorTuning { TelemetrySeconds = 10, HeartbeatSeconds = 10, JitterPercent = 0 }, Start);
        _device.Registered(new DeviceIdentity(Guid.NewGuid(), "key"), Start);
        _link = new RecordingLink(_device, _clock, TimeSpan.FromSeconds(5));
        _commands = new DeviceCommands(_device, _link, _clock, _status, NullLogger.Instance);
    }

    [Fact]
    public async Task Set_interval_is_accepted_completed_and_spaces_the_readings_by_the_new_interval()
    {
        var command = Command(CommandNames.SetInterval, """{"seconds": 2}""");

        await _commands.HandleAsync(command, Cancellation);

        States(command.CommandId).ShouldBe([CommandStates.Accepted, CommandStates.Completed]);
        _device.TelemetryInterval.ShouldBe(TimeSpan.FromSeconds(2));
        _device.TakeDueReadings(Start.AddSeconds(30), DeviceFaults.None);
        var times = _device.PendingBatch().Readings!.Select(reading => reading.Ts!.Value).ToList();
        times.Zip(times.Skip(1), (earlier, later) => later - earlier).Skip(1).ShouldAllBe(gap => gap == TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Reboot_takes_the_device_down_for_a_few_seconds_and_completes_once_it_is_back()
    {
        var command = Command(CommandNames.Reboot);

        var running = _commands.HandleAsync(command, Cancellation);

        States(command.CommandId).ShouldBe([CommandStates.Accepted]);
        _device.IsDown(_clock.GetUtcNow()).ShouldBeTrue();
        _device.Heartbeat(_clock.GetUtcNow()).UptimeS.ShouldBe(0);
        _clock.Advance(TimeSpan.FromSeconds(5));
        await running;
        _device.IsDown(_clock.GetUtcNow()).ShouldBeFalse();
        States(command.CommandId).ShouldBe([CommandStates.Accepted, CommandStates.Completed]);
    }

    [Fact]
    public async Task Set_config_merges_into_the_config_every_heartbeat_carries()
    {
        await _commands.HandleAsync(Command(CommandNames.SetConfig, """{"mode": "eco", "threshold": 21.5, "led": true}"""), Cancellation);
        await _commands.HandleAsync(Command(CommandNames.SetConfig, """{"threshold": 23, "led": null}"""), Cancellation);

        _device.Heartbeat(_clock.GetUtcNow()).Config.ShouldBe(new Dictionary<string, string> { ["mode"] = "eco", ["threshold"] = "23" });
    }

    [Fact]
    public async Task Identify_is_completed_without_side_effects()
    {
        var command = Command(CommandNames.Identify);

        await _commands.HandleAsync(command, Cancellation);

        States(command.CommandId).ShouldBe([CommandStates.Accepted, CommandStates.Completed]);
        _link.Reboots.ShouldBe(0);
    }

    [Theory]
    [InlineData("self_destruct", null, "unknown command")]
    [InlineData(CommandNames.SetInterval, """{"seconds": 0}""", "'seconds'")]
    [InlineData(CommandNames.SetInterval, """{"seconds": "ten"}""", "'seconds'")]
    [InlineData(CommandNames.SetInterval, """{"seconds": 1.5}""", "'seconds'")]
    [InlineData(CommandNames.SetInterval, """{}""", "'seconds'")]
    [InlineData(CommandNames.SetInterval, """{"seconds": 5, "minutes": 1}""", "'minutes'")]
    [InlineData(CommandNames.Reboot, """{"now": true}""", "no parameters")]
    [InlineData(CommandNames.SetConfig, """{}""", "1 to 32")]
    [InlineData(CommandNames.SetConfig, """{"bad key!": 1}""", "bad key!")]
    [InlineData(CommandNames.SetConfig, """{"nested": {"a": 1}}""", "'nested'")]
    public async Task Commands_it_does_not_understand_are_rejected_with_a_reason_and_do_nothing(string name, string? parameters, string reason)
    {
        var command = Command(name, parameters);

        await _commands.HandleAsync(command, Cancellation);

        var report = _link.Sent.OfType<CommandReport>().ShouldHaveSingleItem();
        (report.State, report.Reason!.Contains(reason, StringComparison.Ordinal)).ShouldBe((CommandStates.Rejected, true), report.Reason);
        _device.TelemetryInterval.ShouldBe(TimeSpan.FromSeconds(10));
        _device.Config.ShouldBeEmpty();
        _link.Reboots.ShouldBe(0);
    }

    [Fact]
    public async Task An_expired_command_is_rejected_as_expired()
    {
        var command = Command(CommandNames.SetInterval, """{"seconds": 2}""") with { ExpiresAt = Start.AddSeconds(-1) };

        await _commands.HandleAsync(command, Cancellation);

        _link.Sent.OfType<CommandReport>().ShouldHaveSingleItem().ShouldBe(new CommandReport(CommandChannel.Report, command.CommandId, CommandStates.Rejected, "expired"));
        _device.TelemetryInterval.ShouldBe(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_repeated_command_id_is_not_run_twice_only_its_last_state_is_reported_again()
    {
        var reboot = Command(CommandNames.Reboot);
        var running = _commands.HandleAsync(reboot, Cancellation);

        await _commands.HandleAsync(reboot, Cancellation);
        _clock.Advance(TimeSpan.FromSeconds(5));
        await running;
        await _commands.HandleAsync(reboot, Cancellation);

        _link.Reboots.ShouldBe(1);
        States(reboot.CommandId).ShouldBe([CommandStates.Accepted, CommandStates.Accepted, CommandStates.Completed, CommandStates.Completed]);
        _status.Current().CommandsCompleted.ShouldBe(1);
    }

    private List<string> States(Guid commandId) => [.. _link.Sent.OfType<CommandReport>().Where(report => report.CommandId == commandId).Select(report => report.State)];

    private static CommandMessage Command(string name, string? parameters = null) => new(
        CommandChannel.Command,
        Guid.NewGuid(),
        name,
        parameters is null ? null : JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(parameters),
        Start.AddMinutes(5));
}
