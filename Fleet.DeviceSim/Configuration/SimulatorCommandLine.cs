namespace Fleet.DeviceSim;

/// <summary>
/// The simulator's command line: short options for the usual knobs, each the same as a configuration key, and
/// <c>--Section:Key=VALUE</c> for any other key. Values are checked where configuration is (options validation at
/// start), so a bad value fails the same way from appsettings, environment or command line.
/// </summary>
public static class SimulatorCommandLine
{
    public const string Usage = """
        Usage: dotnet run --project Fleet.DeviceSim -- [options]

          --devices N               simulated devices (1..100000; Fleet:Devices)
          --preset NAME             home, office or factory (Fleet:Simulator:Preset)
          --seed N                  seed for the fleet and its readings (Fleet:Simulator:Seed)
          --heartbeat-seconds N     heartbeat interval (Fleet:Simulator:HeartbeatSeconds)
          --telemetry-seconds N     reading interval (Fleet:Simulator:TelemetrySeconds)
          --state-file PATH         where identities are kept (Fleet:Simulator:StateFile)
          --protocol P              http (default), mqtt or mixed: how devices report and take commands and updates;
                                    mqtt and mixed need the broker, Fleet:Mqtt:Host and Fleet:Mqtt:Port
                                    (Fleet:Simulator:Protocol)
          --mqtt-percent PCT        with mixed, the share of devices on MQTT, default 50 (Fleet:Simulator:MqttPercent)
          --drop PCT                readings taken but never sent (Fleet:Simulator:Faults:DropPercent)
          --latency MS              added before every request (Fleet:Simulator:Faults:LatencyMs)
          --offline PCT             devices that stop reporting (Fleet:Simulator:Faults:OfflinePercent)
          --battery-faults PCT      devices with a failing battery (Fleet:Simulator:Faults:BatteryFaultPercent)
          --clock-skew SECONDS      added to the skewed devices' timestamps (Fleet:Simulator:Faults:ClockSkewSeconds)
          --clock-skew-percent PCT  devices whose clock is skewed, default 100 (Fleet:Simulator:Faults:ClockSkewPercent)
          --corrupt-downloads PCT   devices whose firmware downloads arrive corrupt (Fleet:Simulator:Faults:CorruptDownloadPercent)
          --cut-downloads PCT       devices whose firmware download is cut midway once and resumed (…:CutDownloadPercent)
          --boot-failure V:REV:PCT  firmware V fails to boot on hardware revision REV (* for any) for PCT % of devices;
                                    repeatable, e.g. --boot-failure 2.0.1:rev-b:30 (…:Faults:BootFailures)
          --battery-drain V:FACTOR  firmware V drains batteries FACTOR times as fast; repeatable (…:Faults:BatteryDrain)
          --error-reports V:REV:PCT firmware V reports errors (metric "errors" > 0) on REV (* for any) for PCT % of
                                    devices; repeatable (…:Faults:ErrorReports)
          --crash V:REV:PCT:S       firmware V crashes (resets at once) every S s of uptime on REV (* for any) for PCT %
                                    of devices; repeatable (…:Faults:Crashes)
          --reboot-seconds N        how long a reboot keeps a device offline (Fleet:Simulator:RebootSeconds)
          --max-downloads N         firmware downloads at once in this process (Fleet:Simulator:MaxConcurrentDownloads)
          --Section:Key=VALUE       any configuration value, e.g. --Fleet:Simulator:JitterPercent=20
          -h, --help                this text
        """;

    private static readonly Dictionary<string, string> Options = new(StringComparer.Ordinal)
    {
        ["--devices"] = "Fleet:Devices",
        ["--preset"] = "Fleet:Simulator:Preset",
        ["--seed"] = "Fleet:Simulator:Seed",
        ["--heartbeat-seconds"] = "Fleet:Simulator:HeartbeatSeconds",
        ["--telemetry-seconds"] = "Fleet:Simulator:TelemetrySeconds",
        ["--state-file"] = "Fleet:Simulator:StateFile",
        ["--protocol"] = "Fleet:Simulator:Protocol",
        ["--mqtt-percent"] = "Fleet:Simulator:MqttPercent",
        ["--drop"] = "Fleet:Simulator:Faults:DropPercent",
        ["--latency"] = "Fleet:Simulator:Faults:LatencyMs",
        ["--offline"] = "Fleet:Simulator:Faults:OfflinePercent",
        ["--battery-faults"] = "Fleet:Simulator:Faults:BatteryFaultPercent",
        ["--clock-skew"] = "Fleet:Simulator:Faults:ClockSkewSeconds",
        ["--clock-skew-percent"] = "Fleet:Simulator:Faults:ClockSkewPercent",
        ["--corrupt-downloads"] = "Fleet:Simulator:Faults:CorruptDownloadPercent",
        ["--cut-downloads"] = "Fleet:Simulator:Faults:CutDownloadPercent",
        ["--reboot-seconds"] = "Fleet:Simulator:RebootSeconds",
        ["--max-downloads"] = "Fleet:Simulator:MaxConcurrentDownloads",
    };

    /// <summary>Repeatable options whose value is several fields separated by ':', each becoming one item of a configuration list.</summary>
    private static readonly Dictionary<string, (string Section, string[] Fields)> ListOptions = new(StringComparer.Ordinal)
    {
        ["--boot-failure"] = ("Fleet:Simulator:Faults:BootFailures", ["Version", "HardwareRevision", "Percent"]),
        ["--battery-drain"] = ("Fleet:Simulator:Faults:BatteryDrain", ["Version", "Multiplier"]),
        ["--error-reports"] = ("Fleet:Simulator:Faults:ErrorReports", ["Version", "HardwareRevision", "Percent"]),
        ["--crash"] = ("Fleet:Simulator:Faults:Crashes", ["Version", "HardwareRevision", "Percent", "AfterSeconds"]),
    };

    /// <summary>
    /// Turns the command line into <c>--Key=VALUE</c> arguments for the host's configuration.
    /// </summary>
    /// <returns>The translated arguments, or null when help was asked for.</returns>
    /// <exception cref="ArgumentException">An unknown option or one without a value, with a one-line reason.</exception>
    public static IReadOnlyList<string>? Translate(IReadOnlyList<string> args)
    {
        var translated = new List<string>();
        var listItems = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var argument = args[i];
            if (argument is "-h" or "--help")
            {
                return null;
            }

            if (!argument.StartsWith("--", StringComparison.Ordinal) || argument.Length == 2)
            {
                throw new ArgumentException($"unexpected argument '{argument}'. Try --help.");
            }

            var separator = argument.IndexOf('=', StringComparison.Ordinal);
            var name = separator < 0 ? argument : argument[..separator];
            if (ListOptions.TryGetValue(name, out var list))
            {
                var item = separator >= 0 ? argument[(separator + 1)..]
                    : i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i]
                    : throw new ArgumentException($"option '{name}' needs a value. Try --help.");
                var fields = item.Split(':');
                if (fields.Length != list.Fields.Length)
                {
                    throw new ArgumentException($"option '{name}' takes {string.Join(':', list.Fields)}, e.g. {name} {(list.Fields.Length == 3 ? "2.0.1:rev-b:30" : "2.0.2:2")}.");
                }

                var index = listItems[name] = listItems.GetValueOrDefault(name, -1) + 1;
                translated.AddRange(list.Fields.Zip(fields)
                    .Where(field => field.Second is not ("" or "*"))
                    .Select(field => $"--{list.Section}:{index}:{field.First}={field.Second}"));
                continue;
            }

            var key = Options.TryGetValue(name, out var known) ? known
                : name.Contains(':', StringComparison.Ordinal) || name is "--urls" or "--environment" ? name[2..]
                : throw new ArgumentException($"unknown option '{name}'. Try --help.");
            var value = separator >= 0 ? argument[(separator + 1)..]
                : i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i]
                : throw new ArgumentException($"option '{name}' needs a value. Try --help.");
            translated.Add($"--{key}={value}");
        }

        return translated;
    }
}
