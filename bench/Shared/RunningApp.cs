using System.Text.Json;

namespace Fleet.Bench;

/// <summary>The app the AppHost runs, as apphost.json describes it.</summary>
public sealed record RunningApp(
    string ApiUrl, string EnrollmentToken, string OperatorToken, string DatabaseConnectionString, string RedisConnectionString, int? SimulatorPid, string? SimulatorUrl,
    string? MqttConnectionString = null)
{
    /// <summary><c>.fleet</c> in the repository this runs in (the folder holding Fleet.Aspire.sln), as the AppHost uses by default.</summary>
    public static string DefaultStateDirectory()
    {
        for (var directory = new DirectoryInfo(Directory.GetCurrentDirectory()); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Fleet.Aspire.sln")))
            {
                return Path.Combine(directory.FullName, ".fleet");
            }
        }

        return Path.Combine(Directory.GetCurrentDirectory(), ".fleet");
    }

    public static RunningApp Load(string stateDirectory)
    {
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(stateDirectory, "apphost.json")));
        var resources = state.RootElement.GetProperty("resources").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!);
        var secrets = state.RootElement.GetProperty("secrets");
        var devices = resources.GetValueOrDefault("devices");
        var mqtt = resources.GetValueOrDefault("mqtt");
        var pids = devices.ValueKind == JsonValueKind.Object ? devices.GetProperty("processIds").EnumerateArray().Select(p => p.GetInt32()).ToArray() : [];
        return new RunningApp(
            resources["api"].GetProperty("urls")[0].GetString()!,
            File.ReadAllText(secrets.GetProperty("enrollment-token").GetString()!).Trim(),
            File.ReadAllText(secrets.GetProperty("operator-token").GetString()!).Trim(),
            File.ReadAllText(resources["fleetdb"].GetProperty("connectionStringFile").GetString()!).Trim(),
            File.ReadAllText(resources["cache"].GetProperty("connectionStringFile").GetString()!).Trim(),
            pids.Length > 0 ? pids[0] : null,
            devices.ValueKind == JsonValueKind.Object ? devices.GetProperty("urls")[0].GetString() : null,
            mqtt.ValueKind == JsonValueKind.Object && mqtt.TryGetProperty("connectionStringFile", out var file) && file.GetString() is { } path
                ? File.ReadAllText(path).Trim()
                : null);
    }

    /// <summary>Resident memory of the simulator process and how many devices it runs.</summary>
    public (int Devices, long RssBytes)? SimulatorMemory()
    {
        if (SimulatorPid is not { } pid || SimulatorUrl is null || !File.Exists($"/proc/{pid}/status"))
        {
            return null;
        }

        var rssKb = long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        using var http = new HttpClient();
        using var status = JsonDocument.Parse(http.GetStringAsync($"{SimulatorUrl}/status").GetAwaiter().GetResult());
        return (status.RootElement.GetProperty("devices").GetInt32(), rssKb * 1024);
    }
}
