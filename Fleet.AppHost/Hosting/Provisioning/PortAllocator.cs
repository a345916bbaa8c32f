using System.Net;
using System.Net.Sockets;

namespace Fleet.AppHost.Hosting.Provisioning;

/// <summary>Chooses loopback ports: the preferred one when it is free, otherwise one the kernel hands out.</summary>
public static class PortAllocator
{
    public static int Choose(int? preferred = null)
    {
        if (preferred is > 0 and < 65536 && IsFree(preferred.Value))
        {
            return preferred.Value;
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
