using System.Text.Json;

namespace Fleet.Cli.Connection;

/// <summary>Where the API is and the bearer token the CLI calls it with.</summary>
public sealed record FleetConnection(Uri Url, string Token);

/// <summary>What <c>fleet login</c> stores in <c>config.json</c>.</summary>
public sealed record StoredLogin(string Url, string Token);

/// <summary>
/// Finds the connection: <c>FLEET_URL</c>/<c>FLEET_TOKEN</c> over the stored login; with neither, the local AppHost's
/// <c>.fleet/apphost.json</c> (the api's first URL and the break-glass token's file) from the working directory upward.
/// </summary>
public static class ConnectionResolver
{
    public const string UrlVariable = "FLEET_URL";
    public const string TokenVariable = "FLEET_TOKEN";

    public const string LoginHint = "Not signed in: run `fleet login --url <api> --token <personal access token>` (create one on the UI's Tokens page), or set FLEET_URL and FLEET_TOKEN.";

    public static FleetConnection Resolve(CliContext context)
    {
        var stored = LoginStore.Read(context.ConfigDirectory);
        var url = context.Variable(UrlVariable) ?? stored?.Url;
        var token = context.Variable(TokenVariable) ?? stored?.Token;
        if ((url is null || token is null) && LocalAppHost.Find(context.WorkingDirectory) is { } local)
        {
            url ??= local.Url;
            token ??= local.Token;
        }

        if (url is null || token is null)
        {
            throw new UsageException(LoginHint);
        }

        return new FleetConnection(ParseUrl(url), token);
    }

    public static Uri ParseUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"
            ? parsed
            : throw new UsageException($"Not an http(s) address: {url}");
}

/// <summary>The stored login, owner-only (0600), in the config folder.</summary>
public static class LoginStore
{
    private const string FileName = "config.json";

    public static string PathIn(string configDirectory) => Path.Combine(configDirectory, FileName);

    public static StoredLogin? Read(string configDirectory)
    {
        var file = PathIn(configDirectory);
        if (!File.Exists(file))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<StoredLogin>(File.ReadAllText(file), JsonSerializerOptions.Web);
        }
        catch (JsonException exception)
        {
            throw new UsageException($"{file} is not a fleet login ({exception.Message}); run `fleet logout` and log in again.");
        }
    }

    public static void Write(string configDirectory, StoredLogin login)
    {
        Directory.CreateDirectory(configDirectory);
        var file = PathIn(configDirectory);
        var temporary = file + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, login, JsonSerializerOptions.Web);
        }

        if (!OperatingSystem.IsWindows())
        {
            // A .tmp left by an earlier run keeps its old mode: make sure before the token lands under the real name.
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, file, overwrite: true);
    }

    /// <summary>Removes the stored login; false when there was none.</summary>
    public static bool Remove(string configDirectory)
    {
        var file = PathIn(configDirectory);
        if (!File.Exists(file))
        {
            return false;
        }

        File.Delete(file);
        return true;
    }
}

/// <summary>The local AppHost's state file: resource <c>api</c>'s first URL, and the break-glass token's file.</summary>
public static class LocalAppHost
{
    public sealed record Found(string Url, string Token);

    public static Found? Find(string startDirectory)
    {
        for (var directory = new DirectoryInfo(startDirectory); directory is not null; directory = directory.Parent)
        {
            var file = Path.Combine(directory.FullName, ".fleet", "apphost.json");
            if (File.Exists(file))
            {
                return Read(file);
            }
        }

        return null;
    }

    private static Found? Read(string file)
    {
        try
        {
            using var state = JsonDocument.Parse(File.ReadAllText(file));
            var root = state.RootElement;
            string? url = null;
            if (root.TryGetProperty("resources", out var resources) && resources.ValueKind == JsonValueKind.Array)
            {
                foreach (var resource in resources.EnumerateArray())
                {
                    if (resource.TryGetProperty("name", out var name) && name.GetString() == "api"
                        && resource.TryGetProperty("urls", out var urls) && urls.ValueKind == JsonValueKind.Array && urls.GetArrayLength() > 0)
                    {
                        url = urls[0].GetString();
                    }
                }
            }

            var tokenFile = root.TryGetProperty("secrets", out var secrets) && secrets.TryGetProperty("operator-token", out var path) ? path.GetString() : null;
            if (url is null || tokenFile is null || !File.Exists(tokenFile))
            {
                return null;
            }

            return new Found(url, File.ReadAllText(tokenFile).Trim());
        }
        catch (Exception exception) when (exception is JsonException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            throw new UsageException($"Cannot read the local AppHost's state {file}: {exception.Message}");
        }
    }
}
