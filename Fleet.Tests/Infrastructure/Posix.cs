using System.Runtime.InteropServices;

namespace Fleet.Tests.Infrastructure;

/// <summary>Signals for fault tests (kill -9 a server, stop a simulator), which .NET does not expose.</summary>
public static class Posix
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    [DllImport("libc", SetLastError = true)]
#pragma warning disable CA5392, SYSLIB1054 // libc is the system's; LibraryImport would need unsafe code in the test project.
    private static extern int kill(int pid, int signal);
#pragma warning restore CA5392, SYSLIB1054

    /// <summary>Sends a signal; false when the process does not exist.</summary>
    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;
}
