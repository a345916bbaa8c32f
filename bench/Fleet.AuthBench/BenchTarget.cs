using System.Text.Json;
using Fleet.Bench;

namespace Fleet.AuthBench;

/// <summary>What the benchmark needs of the running app, from apphost.json and the owner-only secret files it names.</summary>
internal sealed record BenchTarget(Uri ApiUrl, string WebUrl, int ApiPid, string OperatorToken, string AdminPassword, string WebClientSecret)
{
    /// <summary>Where the web's client secret comes from when the state folder has none (the AppHost does not export it).</summary>
    public const string WebClientSecretVariable = "FLEET_WEB_CLIENT_SECRET";

    /// <summary>An API using less than this share of one core is taken as settled (a warm idle API uses about 2 %).</summary>
    private const double QuietCpuShare = 0.1;
    private static readonly TimeSpan QuietWait = TimeSpan.FromSeconds(60);

    /// <summary>The api's address, pid and break-glass token as the other benchmarks read them; the web's address and the admin's password besides.</summary>
    public static BenchTarget Load(string stateDirectory)
    {
        var app = RunningApp.Load(stateDirectory);
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(stateDirectory, "apphost.json")));
        var web = state.RootElement.GetProperty("resources").EnumerateArray().First(r => r.GetProperty("name").GetString() == "web");
        return new BenchTarget(
            new Uri(app.ApiUrl),
            web.GetProperty("urls")[0].GetString()!.TrimEnd('/'),
            ApiProcess.Find(stateDirectory),
            app.OperatorToken,
            File.ReadAllText(state.RootElement.GetProperty("secrets").GetProperty("admin-password").GetString()!).Trim(),
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
    public double ApiCpuSeconds() => ApiProcess.CpuSeconds(ApiPid);

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
