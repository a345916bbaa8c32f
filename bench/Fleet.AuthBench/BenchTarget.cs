using System.Text.Json;

namespace Fleet.AuthBench;

/// <summary>What the benchmark needs of the running app, from apphost.json and the owner-only secret files it names.</summary>
internal sealed record BenchTarget(Uri ApiUrl, string WebUrl, int ApiPid, string OperatorToken, string AdminPassword, string WebClientSecret)
{
    /// <summary>Where the web's client secret comes from when the state folder has none (the AppHost does not export it).</summary>
    public const string WebClientSecretVariable = "FLEET_WEB_CLIENT_SECRET";

    /// <summary>An API using less than this share of one core is taken as settled (a warm idle API uses about 2 %).</summary>
    private const double QuietCpuShare = 0.1;
    private static readonly TimeSpan QuietWait = TimeSpan.FromSeconds(60);

    public static BenchTarget Load(string stateDirectory)
    {
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(stateDirectory, "apphost.json")));
        var resources = state.RootElement.GetProperty("resources").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!);
        var secrets = state.RootElement.GetProperty("secrets");
        string Secret(string name) => File.ReadAllText(secrets.GetProperty(name).GetString()!).Trim();
        var api = resources["api"];
        return new BenchTarget(
            new Uri(api.GetProperty("urls")[0].GetString()!),
            resources["web"].GetProperty("urls")[0].GetString()!.TrimEnd('/'),
            api.GetProperty("processIds")[0].GetInt32(),
            Secret("operator-token"),
            Secret("admin-password"),
            ReadWebClientSecret(stateDirectory));
    }

    private static string ReadWebClientSecret(string stateDirectory)
    {
        var file = Path.Combine(stateDirectory, "secrets", "web-client-secret");
        if (File.Exists(file))
        {
            return File.ReadAllText(file).Trim();
        }

        return Environment.GetEnvironmentVariable(WebClientSecretVariable) is { Length: > 0 } secret
            ? secret
            : throw new InvalidOperationException(
                $"No {file}: the AppHost does not export the web's client secret. Set {WebClientSecretVariable} to it " +
                "(bench/auth-cost.sh sets it for its own AppHost; for .fleet, Parameters:web-client-secret in `dotnet user-secrets list --project Fleet.AppHost`).");
    }

    /// <summary>User and system CPU seconds the API process has used.</summary>
    public double ApiCpuSeconds() => Fleet.Bench.ApiProcess.CpuSeconds(ApiPid);

    /// <summary>Waits until the API has used under <see cref="QuietCpuShare"/> of a core for three seconds running, or <see cref="QuietWait"/> passes.</summary>
    public async Task<bool> WaitForQuietAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + QuietWait;
        var quiet = 0;
        while (quiet < 3 && DateTime.UtcNow < deadline)
        {
            var before = ApiCpuSeconds();
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            quiet = ApiCpuSeconds() - before < QuietCpuShare ? quiet + 1 : 0;
        }

        return quiet == 3;
    }
}
