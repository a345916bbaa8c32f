using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Fleet.AppHost;

/// <summary>The dynamic security plugin's JSON file: created by <c>mosquitto_ctrl dynsec init</c>, kept owner-only.</summary>
public static class DynamicSecurity
{
    /// <summary>
    /// Before each start (the broker is not running, so the file is ours to edit): the first time, <c>dynsec init</c> makes the
    /// file; afterwards the admin's password may have changed (a regenerated parameter), so a scratch <c>dynsec init</c> hashes it
    /// the broker's way and only the admin's password, salt and iterations are copied over. Re-initialising the real file
    /// instead would drop every other client and role in it (the devices, in later steps), and <c>setClientPassword</c> on the
    /// running broker needs the old password, which a regenerated parameter no longer knows.
    /// </summary>
    public static async Task EnsureAdminAsync(string control, string file, string adminUser, string password, CancellationToken cancellationToken)
    {
        var current = File.Exists(file) ? JsonNode.Parse(await File.ReadAllTextAsync(file, cancellationToken)) : null;
        var admin = current is null ? null : Admin(current, adminUser) ?? throw new InvalidOperationException($"{file} has no client '{adminUser}'; move the file away to start over.");
        if (admin is null || !Verifies(admin, password))
        {
            var scratch = Path.Combine(Path.GetDirectoryName(file)!, $".{Path.GetFileName(file)}.{Guid.NewGuid():N}");
            try
            {
                await InitAsync(control, scratch, adminUser, password, cancellationToken);
                if (current is not null && admin is not null)
                {
                    var fresh = Admin(JsonNode.Parse(await File.ReadAllTextAsync(scratch, cancellationToken))!, adminUser)!;
                    foreach (var field in new[] { "password", "salt", "iterations" })
                    {
                        admin[field] = fresh[field]!.DeepClone();
                    }

                    await OwnerOnly.WriteTextAsync(scratch, current.ToJsonString(new() { WriteIndented = true }), cancellationToken);
                }

                File.SetUnixFileMode(scratch, OwnerOnly.FilePermissions);
                File.Move(scratch, file, overwrite: true);
            }
            finally
            {
                File.Delete(scratch);
            }
        }

        File.SetUnixFileMode(file, OwnerOnly.FilePermissions);
    }

    private static JsonNode? Admin(JsonNode root, string adminUser) =>
        root["clients"]?.AsArray().FirstOrDefault(client => client?["username"]?.GetValue<string>() == adminUser);

    /// <summary>Whether the stored hash is already the password's, so an ordinary restart rewrites nothing.</summary>
    private static bool Verifies(JsonNode admin, string password)
    {
        if (admin["password"]?.GetValue<string>() is not { } hash || admin["salt"]?.GetValue<string>() is not { } salt
            || admin["iterations"]?.GetValue<int>() is not { } iterations)
        {
            return false;
        }

        // The plugin's hash: PBKDF2-HMAC-SHA512, 64 bytes, over the password and the decoded salt (checked against mosquitto_ctrl's output).
        var expected = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(salt), iterations, HashAlgorithmName.SHA512, 64);
        return CryptographicOperations.FixedTimeEquals(expected, Convert.FromBase64String(hash));
    }

    private static async Task InitAsync(string control, string file, string adminUser, string password, CancellationToken cancellationToken)
    {
        var startInfo = new System.Diagnostics.ProcessStartInfo(control) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "dynsec", "init", file, adminUser, password })
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0 || !File.Exists(file))
        {
            throw new InvalidOperationException($"mosquitto_ctrl dynsec init failed with code {process.ExitCode}: {(await output + await error).Trim()}");
        }
    }
}
