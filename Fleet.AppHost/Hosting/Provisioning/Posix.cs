using System.Runtime.InteropServices;

namespace Fleet.AppHost.Hosting.Provisioning;

/// <summary>The few POSIX calls the orchestrator needs that .NET does not expose: signals and the effective user.</summary>
public static partial class Posix
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;
    private const int EPERM = 1;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc")]
    private static partial uint geteuid();

    public static bool IsRoot => geteuid() == 0;

    /// <summary>Sends a signal; false when the process does not exist.</summary>
    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;

    public static bool IsAlive(int pid) =>
        pid > 0 && (kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == EPERM) && !IsZombie(pid);

    /// <summary>The command line of a live process, or empty; used to recognise our own leftovers before signalling them.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var afterName = stat.LastIndexOf(')');
            return afterName > 0 && afterName + 2 < stat.Length && stat[afterName + 2] == 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Waits until the process is gone or the timeout passes; true when it is gone.</summary>
    public static async Task<bool> WaitForExitAsync(int pid, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (IsAlive(pid))
        {
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(50, cancellationToken);
        }

        return true;
    }
}
