namespace Fleet.Cli;

/// <summary>
/// What the CLI takes from its process: the HTTP handler, stdout and stderr, the environment, the folder its
/// config lives in and the working directory. Tests hand in an in-process API's handler and string writers.
/// </summary>
public sealed record CliContext(
    Func<HttpMessageHandler> CreateHandler,
    TextWriter Out,
    TextWriter Error,
    IReadOnlyDictionary<string, string> Environment,
    string ConfigDirectory,
    string WorkingDirectory)
{
    /// <summary>Standard input, for <c>login --token -</c>.</summary>
    public TextReader Input { get; init; } = TextReader.Null;

    /// <summary>Standard output is a terminal (not redirected): only then are progress bars drawn.</summary>
    public bool OutIsTerminal { get; init; }

    /// <summary>How often <c>rollout watch</c> and <c>commands watch</c> ask again.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    public string? Variable(string name) => Environment.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    /// <summary>The real process: sockets, the console, <c>$XDG_CONFIG_HOME/fleet</c> (else <c>~/.config/fleet</c>).</summary>
    public static CliContext FromProcess()
    {
        var environment = System.Environment.GetEnvironmentVariables()
            .Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(entry => (string)entry.Key, entry => entry.Value as string ?? "", StringComparer.Ordinal);
        var configHome = environment.GetValueOrDefault("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".config");
        return new CliContext(
            () => new SocketsHttpHandler(), Console.Out, Console.Error, environment, Path.Combine(configHome, "fleet"), Directory.GetCurrentDirectory())
        {
            Input = Console.In,
            OutIsTerminal = !Console.IsOutputRedirected,
        };
    }
}
