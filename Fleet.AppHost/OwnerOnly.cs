namespace Fleet.AppHost;

/// <summary>
/// Folders and files only the AppHost's user may read: the copies of secrets for tools and the servers' configs that hold
/// passwords. A file is created 0600 (one left by an earlier run is narrowed before it is written), so its content is
/// never readable by others, not even between writing it and setting its mode.
/// </summary>
public static class OwnerOnly
{
    public const UnixFileMode FilePermissions = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode FolderPermissions = FilePermissions | UnixFileMode.UserExecute;

    public static void CreateFolder(string path)
    {
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, FolderPermissions);
    }

    public static void WriteText(string path, string contents)
    {
        using var writer = new StreamWriter(Open(path));
        writer.Write(contents);
    }

    public static async Task WriteTextAsync(string path, string contents, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(Open(path));
        await writer.WriteAsync(contents.AsMemory(), cancellationToken);
    }

    /// <summary>Each line followed by a line feed, as <see cref="File.WriteAllLinesAsync(string, IEnumerable{string}, CancellationToken)"/> writes them here.</summary>
    public static Task WriteLinesAsync(string path, IEnumerable<string> lines, CancellationToken cancellationToken) =>
        WriteTextAsync(path, string.Concat(lines.Select(line => line + "\n")), cancellationToken);

    private static FileStream Open(string path)
    {
        var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = FilePermissions });
        File.SetUnixFileMode(stream.SafeFileHandle, FilePermissions);
        return stream;
    }
}
