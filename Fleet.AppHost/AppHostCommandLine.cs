using System.Globalization;

namespace Fleet.AppHost;

/// <summary>
/// Fleet's own options (<c>--devices 500</c>) turned into configuration Aspire's builder reads (<c>--Fleet:Devices=500</c>);
/// Aspire's own (<c>--publisher</c>, <c>--output-path</c>, <c>--operation</c>) and any <c>--Section:Key=VALUE</c> pass through.
/// Anything else is refused with one clear line, before Aspire starts.
/// </summary>
public sealed record AppHostCommandLine(IReadOnlyList<string> AspireArgs, bool Help, bool DashboardDisabled)
{
    public const string DevicesKey = "Fleet:Devices";
    public const string ApiReplicasKey = "Fleet:ApiReplicas";
    public const string StateDirectoryKey = "Fleet:StateDir";
    public const string BackingServicesKey = "Fleet:BackingServices";

    public const string Usage = """
        Usage: dotnet run --project Fleet.AppHost -- [options]

          --devices N          simulated devices (1..100000, default 25; config Fleet:Devices)
          --api-replicas N     API processes (1..16, default 1; config Fleet:ApiReplicas)
          --state-dir PATH     where local servers keep data and tools find apphost.json (default .fleet at the repository root)
          --no-dashboard       do not start the Aspire dashboard
          --publisher NAME     write deployment artefacts instead of running: manifest (Aspire's manifest JSON)
                               or kustomize (a Kustomize tree for Kubernetes); starts nothing
          --output-path PATH   where the publisher writes
          --Section:Key=VALUE  any configuration value, e.g. --Fleet:BackingServices=local
          -h, --help           this text
        """;

    private static readonly Dictionary<string, string> FleetOptions = new(StringComparer.Ordinal)
    {
        ["--devices"] = DevicesKey,
        ["--api-replicas"] = ApiReplicasKey,
        ["--state-dir"] = StateDirectoryKey,
    };

    /// <summary>Aspire's own switches, handed to it as they came.</summary>
    private static readonly HashSet<string> AspireOptions = new(StringComparer.Ordinal) { "--publisher", "--output-path", "--operation" };

    public static IReadOnlyList<string> Publishers { get; } = ["manifest", "kustomize"];

    /// <summary>Numeric settings and their bounds, checked whichever source set them.</summary>
    public static readonly IReadOnlyDictionary<string, (int Min, int Max, string Option)> Bounds = new Dictionary<string, (int, int, string)>
    {
        [DevicesKey] = (1, 100_000, "--devices"),
        [ApiReplicasKey] = (1, 16, "--api-replicas"),
    };

    public static AppHostCommandLine Parse(IReadOnlyList<string> args)
    {
        var aspireArgs = new List<string>();
        var dashboardDisabled = false;
        for (var i = 0; i < args.Count; i++)
        {
            var argument = args[i];
            if (argument is "-h" or "--help")
            {
                return new AppHostCommandLine(aspireArgs, Help: true, dashboardDisabled);
            }

            if (argument == "--no-dashboard")
            {
                dashboardDisabled = true;
                continue;
            }

            if (!argument.StartsWith("--", StringComparison.Ordinal) || argument.Length == 2)
            {
                throw new AppHostUsageException($"unexpected argument '{argument}'. Try --help.");
            }

            var equals = argument.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? argument : argument[..equals];
            var known = FleetOptions.ContainsKey(name) || AspireOptions.Contains(name) || name.Contains(':', StringComparison.Ordinal);
            if (!known)
            {
                throw new AppHostUsageException($"unknown option '{name}'. Try --help.");
            }

            var value = equals >= 0 ? argument[(equals + 1)..]
                : i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i]
                : throw new AppHostUsageException($"option '{name}' needs a value.");
            if (name == "--publisher" && !Publishers.Contains(value, StringComparer.Ordinal))
            {
                throw new AppHostUsageException($"unknown publisher '{value}'; use {string.Join(" or ", Publishers)}.");
            }

            var key = FleetOptions.TryGetValue(name, out var fleetKey) ? "--" + fleetKey : name;
            aspireArgs.Add($"{key}={value}");
        }

        return new AppHostCommandLine(aspireArgs, Help: false, dashboardDisabled);
    }

    /// <summary>Checks a numeric setting from any configuration source; the message names the option to fix.</summary>
    public static int ReadBounded(string key, string? value, int defaultValue)
    {
        var (min, max, option) = Bounds[key];
        if (value is null)
        {
            return defaultValue;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            throw new AppHostUsageException($"{option} must be a whole number from {min} to {max}; got '{value}'.");
        }

        return number >= min && number <= max ? number : throw new AppHostUsageException($"{option} must be from {min} to {max}; got {number}.");
    }
}

/// <summary>Bad command-line input or settings: the AppHost prints the message and exits with code 2.</summary>
public sealed class AppHostUsageException(string message) : Exception(message)
{
    public const int ExitCode = 2;
}
