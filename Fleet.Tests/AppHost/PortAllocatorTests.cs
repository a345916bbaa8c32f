using System.Net;
using System.Net.Sockets;
using Fleet.AppHost.Hosting.Provisioning;

namespace Fleet.Tests.AppHost;

public sealed class PortAllocatorTests
{
    [Fact]
    public void Without_a_preference_a_free_port_below_the_kernels_ephemeral_range_is_chosen()
    {
        var ports = Enumerable.Range(0, 20).Select(_ => PortAllocator.Choose()).ToList();

        ports.ShouldAllBe(port => port >= PortAllocator.RangeStart && port < PortAllocator.EphemeralStart());
        ports.Distinct().Count().ShouldBeGreaterThan(1, "chosen at random, so concurrent orchestrators rarely pick the same");
        using var listener = new TcpListener(IPAddress.Loopback, ports[^1]);
        listener.Start();
    }

    [Fact]
    public void A_free_preferred_port_is_taken_and_a_busy_one_is_not()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var taken = ((IPEndPoint)busy.LocalEndpoint).Port;
        var free = PortAllocator.Choose();

        PortAllocator.Choose(free).ShouldBe(free);
        PortAllocator.Choose(taken).ShouldNotBe(taken);
    }
}
