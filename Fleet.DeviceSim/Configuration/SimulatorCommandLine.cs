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
          --drop PCT                readings taken but never sent (Fleet:Simulator:Faults:DropPercent)
          --latency MS              added before every request (Fleet:Simulator:Faults:LatencyMs)
          --offline PCT             devices that stop reporting (Fleet:Simulator:Faults:OfflinePercent)
          --battery-faults PCT      devices with a failing battery (Fleet:Simulator:Faults:BatteryFaultPercent)
          --clock-skew SECONDS      added to the skewed devices' timestamps (Fleet:Simulator:Faults:ClockSkewSeconds)
          --clock-skew-percent PCT  devices whose clock is skewed, default 100 (Fleet:Simulator:Faults:ClockSkewPercent)
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
        ["--drop"] = "Fleet:Simulator:Faults:DropPercent",
        ["--latency"] = "Fleet:Simulator:Faults:LatencyMs",
        ["--offline"] = "Fleet:Simulator:Faults:OfflinePercent",
        ["--battery-faults"] = "Fleet:Simulator:Faults:BatteryFaultPercent",
        ["--clock-skew"] = "Fleet:Simulator:Faults:ClockSkewSeconds",
        ["--clock-skew-percent"] = "Fleet:Simulator:Faults:ClockSkewPercent",
    };

    /// <summary>
    /// Turns the command line into <c>--Key=VALUE</c> arguments for the host's configuration.
    /// </summary>
    /// <returns>The translated arguments, or null when help was asked for.</returns>
    /// <exception cref="ArgumentException">An unknown option or one without a value, with a one-line reason.</exception>
    public static IReadOnlyList<string>? Translate(IReadOnlyList<string> args)
    {
        var translated = new List<string>();
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
