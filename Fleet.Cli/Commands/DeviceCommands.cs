using System.CommandLine;
using Fleet.Cli.Output;
using Fleet.Contracts;

namespace Fleet.Cli.Commands;

/// <summary><c>devices list|show|activate|suspend|retire|set-environment</c>.</summary>
public static class DeviceCommands
{
    public static Command Create(CliContext context)
    {
        var devices = new Command("devices", "Devices: list, show, and lifecycle changes") { List(context), ShowCommand(context) };
        foreach (var action in new[] { "activate", "suspend", "retire" })
        {
            devices.Add(Lifecycle(context, action));
        }

        devices.Add(SetEnvironment(context));
        return devices;
    }

    private static Command List(CliContext context)
    {
        var filters = new (string Option, string Query, string Description)[]
        {
            ("--status", "status", "online, at-risk, offline or unknown"),
            ("--lifecycle", "lifecycle", "new, active, suspended or retired"),
            ("--type", "type", "device type"),
            ("--region", "region", "region"),
            ("--rev", "hardwareRevision", "hardware revision"),
            ("--env", "environment", "blue or green"),
            ("--tag", "tag", "a tag the device carries"),
            ("--firmware", "firmware", "firmware version"),
            ("--search", "q", "text in serial or name"),
        }.Select(filter => (Option: new Option<string?>(filter.Option) { Description = $"Only devices with this {filter.Description}" }, filter.Query)).ToList();
        var command = new Command("list", "Devices by serial, filtered, a page at a time (or --all)");
        foreach (var (option, _) in filters)
        {
            command.Add(option);
        }

        var paging = new ListPaging(command, 50, "--limit");

        return command.Runs(context, async (run, cancellationToken) =>
        {
            var query = string.Concat(filters
                .Where(filter => run.Value(filter.Option) is { Length: > 0 })
                .Select(filter => $"&{filter.Query}={Uri.EscapeDataString(run.Value(filter.Option)!)}"));
            var list = await paging.FetchAsync<DeviceSummary>(run, FleetHttp.DevicesRoute, query, cancellationToken);
            return run.Write(list, devices =>
            {
                var table = new TextTable("ID", "SERIAL", "TYPE", "REV", "REGION", "ENV", "FIRMWARE", "LIFECYCLE", "STATUS", "LAST SEEN");
                foreach (var device in devices.Items)
                {
                    table.Add(device.Id.ToString(), device.Serial, device.Type, device.HardwareRevision, device.Region, device.Environment,
                        device.Firmware, device.Lifecycle, device.Status, Show.Time(device.LastSeenAt));
                }

                table.WriteTo(run.Out);
                run.Out.WriteLine(paging.Footer(run, devices, "devices"));
            });
        });
    }

    private static Command ShowCommand(CliContext context)
    {
        var id = new Argument<Guid>("id") { Description = "The device's id" };
        var command = new Command("show", "A device and its latest heartbeat") { id };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var detail = await run.Api.GetAsync<DeviceDetail>($"{FleetHttp.DevicesRoute}/{run.Required(id)}", cancellationToken);
            return run.Write(detail, value =>
            {
                var device = value.Device;
                run.Out.WriteLine($"Device     {device.Id}  {device.Serial}{(device.Name is null ? "" : $"  {device.Name}")}");
                run.Out.WriteLine($"Kind       {device.Type} {device.HardwareRevision}, {device.Region}, {device.Environment}{(device.Tags.Count == 0 ? "" : $", tags {string.Join(",", device.Tags)}")}");
                run.Out.WriteLine($"State      {device.Lifecycle}, {device.Status}, last seen {Show.Time(device.LastSeenAt)}");
                run.Out.WriteLine($"Firmware   {device.Firmware ?? "-"}");
                if (value.Latest is { } latest)
                {
                    run.Out.WriteLine($"Heartbeat  battery {latest.Battery?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}, signal {latest.Signal?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}, slot {latest.Slot ?? "-"}, uptime {latest.UptimeS?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} s, at {Show.Time(latest.SeenAt)}");
                }
            });
        });
    }

    private static Command Lifecycle(CliContext context, string action)
    {
        var id = new Argument<Guid>("id") { Description = "The device's id" };
        var description = action switch
        {
            "activate" => "Put a new or suspended device in service (operator)",
            "suspend" => "Take an active device out of service; its key stops working (operator)",
            _ => "Take a device out of service for good (admin)",
        };
        var command = new Command(action, description) { id };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var device = await run.Api.PostAsync<DeviceSummary>($"{FleetHttp.DevicesRoute}/{run.Required(id)}/{action}", new StringContent(""), cancellationToken);
            return run.Write(device, value => run.Out.WriteLine($"{value.Id}  {value.Serial}  {value.Lifecycle}"));
        });
    }

    private static Command SetEnvironment(CliContext context)
    {
        var id = new Argument<Guid>("id") { Description = "The device's id" };
        var environment = new Argument<string>("environment") { Description = "blue or green" };
        environment.AcceptOnlyFromAmong(DeviceEnvironments.Blue, DeviceEnvironments.Green);
        var command = new Command("set-environment", "Move a device to the blue or green environment (operator); rollouts can take green first") { id, environment };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var device = await run.Api.PutJsonAsync<DeviceEnvironmentRequest, DeviceSummary>(
                DeviceEnvironments.Route(run.Required(id)), new DeviceEnvironmentRequest(run.Required(environment)), cancellationToken);
            return run.Write(device, value => run.Out.WriteLine($"{value.Id}  {value.Serial}  {value.Environment}"));
        });
    }
}
