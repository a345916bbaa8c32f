using Fleet.Contracts;
using Fleet.DeviceSim.Channels;

namespace Fleet.DeviceSim.Commands;

/// <summary>
/// Runs the operator's commands on one device: rejected (with a reason) when it does not understand them or they
/// expired, otherwise accepted, run, then completed. A command id seen before is never run again; its last state is
/// reported again instead (the API re-sends a command whose report it did not get).
/// </summary>
public sealed partial class DeviceCommands(VirtualDevice device, IDeviceLink link, TimeProvider clock, SimulatorStatus status, ILogger logger)
{
    /// <summary>How many recent command ids a device remembers.</summary>
    public const int Remembered = 64;

    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, CommandReport> _reports = [];
    private readonly Queue<Guid> _order = new();

    /// <summary>The last report of a command, if the device has seen it.</summary>
    public CommandReport? ReportOf(Guid commandId)
    {
        lock (_lock)
        {
            return _reports.GetValueOrDefault(commandId);
        }
    }

    public async Task HandleAsync(CommandMessage message, CancellationToken cancellationToken)
    {
        CommandReport? seen;
        lock (_lock)
        {
            seen = _reports.GetValueOrDefault(message.CommandId);
            if (seen is null)
            {
                Remember(new CommandReport(CommandChannel.Report, message.CommandId, CommandStates.Accepted));
            }
        }

        if (seen is not null)
        {
            await SendAsync(seen, cancellationToken);
            return;
        }

        var (command, rejection) = DeviceCommandParser.Parse(message, clock.GetUtcNow());
        if (command is null)
        {
            status.CommandRejected();
            LogRejected(logger, device.Serial, message.Name, rejection!);
            await RecordAsync(message.CommandId, CommandStates.Rejected, rejection, cancellationToken);
            return;
        }

        await RecordAsync(message.CommandId, CommandStates.Accepted, null, cancellationToken);
        var result = await RunAsync(command, cancellationToken);
        status.CommandCompleted();
        await RecordAsync(message.CommandId, CommandStates.Completed, result, cancellationToken);
    }

    /// <summary>Carries the command out; returns what to say in its completed report.</summary>
    private async Task<string?> RunAsync(DeviceCommand command, CancellationToken cancellationToken)
    {
        switch (command)
        {
            case DeviceCommand.SetInterval setInterval:
                device.SetTelemetryInterval(setInterval.Interval);
                return $"reporting every {setInterval.Interval.TotalSeconds:0} s";
            case DeviceCommand.Reboot:
                await link.RebootAsync(cancellationToken);
                return "rebooted";
            case DeviceCommand.SetConfig setConfig:
                var config = device.MergeConfig(setConfig.Changes);
                return $"{config.Count} settings applied";
            default:
                LogIdentify(logger, device.Serial, device.Identity?.DeviceId);
                return "blinked";
        }
    }

    private Task RecordAsync(Guid commandId, string state, string? reason, CancellationToken cancellationToken)
    {
        var report = new CommandReport(CommandChannel.Report, commandId, state, reason);
        lock (_lock)
        {
            Remember(report);
        }

        return SendAsync(report, cancellationToken);
    }

    private Task SendAsync(CommandReport report, CancellationToken cancellationToken) =>
        link.ReportAsync(ReportKey(report.CommandId), report.State, report, cancellationToken);

    private void Remember(CommandReport report)
    {
        if (!_reports.ContainsKey(report.CommandId))
        {
            _order.Enqueue(report.CommandId);
            if (_order.Count > Remembered)
            {
                _reports.Remove(_order.Dequeue());
            }
        }

        _reports[report.CommandId] = report;
    }

    public static string ReportKey(Guid commandId) => $"command:{commandId:N}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {Serial} ({DeviceId}) identifies itself: blinking")]
    private static partial void LogIdentify(ILogger logger, string serial, Guid? deviceId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Device {Serial} rejected command {Name}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string serial, string name, string reason);
}
