using System.Globalization;

namespace Fleet.AppHost.Hosting;

/// <summary>
/// The AppHost's options. Each maps to a configuration key, so appsettings.json and environment variables
/// can set the same things; anything else on the command line is refused with one clear line.
/// </summary>
public sealed record AppHostCommandLine(IReadOnlyDictionary<string, string?> Configuration, bool Help)
{
    public const string DevicesKey = "Fleet:Devices";
    public const string ApiReplicasKey = "Fleet:ApiReplicas";
    public const string StateDirectoryKey = "Fleet:StateDir";
    public const string DashboardEnabledKey = "Fleet:Dashboard:Enabled";
    public const string OtlpEndpointKey = "Fleet:OtlpEndpoint";
    public const string PublisherKey = "Publishing:Publisher";
    public const string OutputPathKey = "Publishing:OutputPath";

    public const string Usage = """
        Usage: dotnet run --project Fleet.AppHost -- [options]

          --devices N          simulated devices (1..100000, default 25; config Fleet:Devices)
          --api-replicas N     API processes (1..16, default 1; config Fleet:ApiReplicas)
          --state-dir PATH     where servers keep data and secrets (default .fleet at the repository root)
          --no-dashboard       do not start Fleet.Dashboard (config Fleet:Dashboard:Enabled=false); an OTLP
                               endpoint in OTEL_EXPORTER_OTLP_ENDPOINT or Fleet:OtlpEndpoint wins over it anyway
          --publisher NAME     write deployment artefacts instead of running: manifest (Aspire's manifest JSON)
                               or kustomize (a Kustomize tree for Kubernetes); starts nothing
          --output-path PATH   where the publisher writes (a .json file or a folder for manifest, a folder for kustomize)
          --Section:Key=VALUE  any configuration value, e.g. --ConnectionStrings:cache=127.0.0.1:6379
          -h, --help           this text
        """;

    private static readonly Dictionary<string, string> Options = new(StringComparer.Ordinal)
    {
        ["--devices"] = DevicesKey,
        ["--api-replicas"] = ApiReplicasKey,
        ["--state-dir"] = StateDirectoryKey,
        ["--publisher"] = PublisherKey,
        ["--output-path"] = OutputPathKey,
    };

    /// <summary>Options without a value and the configuration they set.</summary>
    private static readonly Dictionary<string, (string Key, string Value)> Flags = new(StringComparer.Ordinal)
    {
        ["--no-dashboard"] = (DashboardEnabledKey, "false"),
    };

    /// <summary>Numeric settings and their bounds, checked whichever source set them.</summary>
    public static readonly IReadOnlyDictionary<string, (int Min, int Max, string Option)> Bounds = new Dictionary<string, (int, int, string)>
    {
        [DevicesKey] = (1, 100_000, "--devices"),
        [ApiReplicasKey] = (1, 16, "--api-replicas"),
    };

    public static AppHostCommandLine Parse(IReadOnlyList<string> args)
    {
        var configuration = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Count; i++)
        {
            var argument = args[i];
            if (argument is "-h" or "--help")
            {
                return new AppHostCommandLine(configuration, Help: true);
            }

            if (!argument.StartsWith("--", StringComparison.Ordinal) || argument.Length == 2)
            {
                throw new AppHostUsageException($"unexpected argument '{argument}'. Try --help.");
            }

            if (Flags.TryGetValue(argument, out var flag))
            {
                configuration[flag.Key] = flag.Value;
                continue;
            }

            var (name, inlineValue) = SplitInlineValue(argument);
            var key = Options.TryGetValue(name, out var known) ? known
                : name.Contains(':', StringComparison.Ordinal) ? name[2..]
                : throw new AppHostUsageException($"unknown option '{name}'. Try --help.");

            var value = inlineValue ?? (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                ? args[++i]
                : throw new AppHostUsageException($"option '{name}' needs a value."));
            configuration[key] = value;
        }

        return new AppHostCommandLine(configuration, Help: false);
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

        if (number < min || number > max)
        {
            throw new AppHostUsageException($"{option} must be from {min} to {max}; got {number}.");
        }

        return number;
    }

    private static (string Name, string? Value) SplitInlineValue(string argument)
    {
        var equals = argument.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? (argument, null) : (argument[..equals], argument[(equals + 1)..]);
    }
}

/// <summary>Bad command-line input: the AppHost prints the message and exits with code 2.</summary>
public sealed class AppHostUsageException(string message) : Exception(message)
{
    public const int ExitCode = 2;
}
