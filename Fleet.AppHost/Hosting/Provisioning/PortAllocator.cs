using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Fleet.AppHost.Hosting.Provisioning;

/// <summary>
/// Chooses loopback ports: the preferred one when it is free, otherwise a free one below the kernel's ephemeral
/// range. A port is chosen some seconds before its process binds it (PostgreSQL and Redis start first, a project
/// builds); a port from the ephemeral range could meanwhile be handed by the kernel to any other process's
/// <c>bind(0)</c> or outgoing connection, and the resource would then fail to start again and again. Below the range
/// only another orchestrator choosing the same way can take it.
/// </summary>
public static class PortAllocator
{
    /// <summary>Lowest port chosen without a preference.</summary>
    public const int RangeStart = 20_000;

    public static int Choose(int? preferred = null)
    {
        if (preferred is > 0 and < 65536 && IsFree(preferred.Value))
        {
            return preferred.Value;
        }

        var end = EphemeralStart();
        for (var attempt = 0; attempt < 64 && end > RangeStart; attempt++)
        {
            var port = Random.Shared.Next(RangeStart, end);
            if (IsFree(port))
            {
                return port;
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The first port of the kernel's ephemeral range (Linux: ip_local_port_range; elsewhere IANA's 49152).</summary>
    public static int EphemeralStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 49_152;
        }
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
