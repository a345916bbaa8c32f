namespace Fleet.AppHost.Publishing;

/// <summary>
/// Writes into a staging folder beside the target and moves it into place only when every file is written,
/// so a failure leaves the target as it was and no staging folder behind.
/// </summary>
internal static class StagedOutput
{
    /// <summary>Replaces <paramref name="target"/> as a whole; <paramref name="keep"/> names user files carried over.</summary>
    public static void WriteFolder(string target, Action<string> write, IReadOnlyList<string> keep, Func<string, bool> isOurs)
    {
        if (File.Exists(target))
        {
            throw new AppHostUsageException($"output path {target} is a file; give a folder.");
        }

        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() && !isOurs(target))
        {
            throw new AppHostUsageException($"output path {target} holds files this publisher did not write; give a new or empty folder.");
        }

        var parent = EnsureParent(target);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.staging-{Guid.NewGuid():N}");
        var previous = Path.Combine(parent, $".{Path.GetFileName(target)}.previous-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(staging);
            write(staging);
            foreach (var relative in keep)
            {
                var existing = Path.Combine(target, relative);
                if (File.Exists(existing))
                {
                    File.Copy(existing, Path.Combine(staging, relative), overwrite: true);
                }
            }

            if (Directory.Exists(target))
            {
                Directory.Move(target, previous);
                Directory.Move(staging, target);
                Directory.Delete(previous, recursive: true);
            }
            else
            {
                Directory.Move(staging, target);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Cleanup(staging);
            throw new AppHostUsageException($"cannot write {target}: {exception.Message}");
        }
        catch
        {
            Cleanup(staging);
            throw;
        }
    }

    private static string EnsureParent(string target)
    {
        var parent = Path.GetDirectoryName(target) ?? throw new AppHostUsageException($"output path {target} has no parent folder.");
        try
        {
            Directory.CreateDirectory(parent);
            return parent;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new AppHostUsageException($"cannot write {target}: {exception.Message}");
        }
    }

    private static void Cleanup(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
