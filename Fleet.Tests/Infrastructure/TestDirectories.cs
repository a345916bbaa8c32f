namespace Fleet.Tests.Infrastructure;

/// <summary>Throwaway folders under /tmp that an unprivileged PostgreSQL user can reach.</summary>
public static class TestDirectories
{
    public static string Create(string purpose)
    {
        var path = Path.Combine(Path.GetTempPath(), "fleet-tests", $"{purpose}-{Guid.NewGuid():N}"[..24]);
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A server that is still flushing can hold a file for a moment; /tmp is cleaned anyway.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
