using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Fleet.DeviceSim.Identity;

/// <summary>What a device got when it registered: its id and its key (a secret).</summary>
public sealed record DeviceIdentity(Guid DeviceId, string DeviceKey)
{
    /// <summary>Never the key: records print their members, and identities end up in logs and debuggers.</summary>
    public override string ToString() => $"DeviceIdentity {{ DeviceId = {DeviceId} }}";
}

/// <summary>
/// The simulator's state file: serial → identity, so a restarted simulator is the same fleet without registering
/// again. It holds device keys, so it is written owner-only (0600) and atomically (a temporary file renamed over
/// the old one), so a crash mid-write leaves the previous file whole.
/// </summary>
public sealed class DeviceIdentityFile(string path)
{
    private const int Version = 1;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Path { get; } = path;

    /// <summary>
    /// The default place: <c>.state/devices-{hash}.json</c> under <paramref name="contentRoot"/>, the hash taken from
    /// the enrollment token, so every fleet (every AppHost state folder, with its own token) has its own file and a
    /// fresh fleet never starts with keys its API has never issued.
    /// </summary>
    public static string DefaultPath(string contentRoot, string enrollmentToken)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(enrollmentToken)))[..12];
        return System.IO.Path.Combine(contentRoot, ".state", $"devices-{hash}.json");
    }

    /// <summary>The identities in the file; empty when there is none yet.</summary>
    /// <exception cref="JsonException">The file is not a state file (the caller decides whether to start afresh).</exception>
    public async Task<IReadOnlyDictionary<string, DeviceIdentity>> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path))
        {
            return new Dictionary<string, DeviceIdentity>();
        }

        await using var stream = File.OpenRead(Path);
        var contents = await JsonSerializer.DeserializeAsync<Contents>(stream, Json, cancellationToken);
        return contents is { Version: Version, Devices: { } devices }
            ? devices
            : throw new JsonException($"{Path} is not a version {Version} simulator state file.");
    }

    public async Task SaveAsync(IReadOnlyDictionary<string, DeviceIdentity> devices, CancellationToken cancellationToken)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, OwnerOnly | UnixFileMode.UserExecute);
        }

        var temporary = $"{Path}.{Environment.ProcessId}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        File.Delete(temporary);
        try
        {
            await using (var stream = new FileStream(temporary, options))
            {
                await JsonSerializer.SerializeAsync(stream, new Contents(Version, devices), Json, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private sealed record Contents(int Version, IReadOnlyDictionary<string, DeviceIdentity>? Devices);
}
