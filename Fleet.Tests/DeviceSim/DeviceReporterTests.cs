using System.Net;
using System.Net.Sockets;
using Fleet.DeviceSim;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Identity;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Tests.DeviceSim;

public sealed class DeviceReporterTests
{
    private static readonly SimulatorTuning Tuning = new() { TelemetrySeconds = 1, HeartbeatSeconds = 5, JitterPercent = 0 };
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>A local port nothing listens on: connections are refused at once, as when the API is down.</summary>
    private static Uri ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }

    [Fact]
    public async Task When_the_api_is_unreachable_a_device_keeps_its_readings_and_backs_off()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
        var status = new SimulatorStatus();
        using var http = new HttpClient { BaseAddress = ClosedPort() };
        var reporter = new DeviceReporter(new FleetApiClient(http), status, new FaultInjector(new FaultSettings(), 1), clock, NullLogger<DeviceReporter>.Instance);
        var device = new VirtualDevice(1, Tuning, clock.GetUtcNow());
        device.Registered(new DeviceIdentity(Guid.NewGuid(), "key"), clock.GetUtcNow());
        clock.Advance(TimeSpan.FromSeconds(3));

        await reporter.ServeAsync(device, "token", Cancellation);
        device.Release();

        status.Current().HeartbeatFailures.ShouldBe(1);
        device.UnsentReadings.ShouldBeGreaterThanOrEqualTo(2);
        device.TryClaim(clock.GetUtcNow()).ShouldBeFalse();
        device.TryClaim(clock.GetUtcNow().AddSeconds(1)).ShouldBeTrue();
        reporter.LastFailure.ShouldStartWith("heartbeat:");

        await reporter.ServeAsync(device, "token", Cancellation);
        device.Release();
        device.TryClaim(clock.GetUtcNow().AddSeconds(1)).ShouldBeFalse("the second failure waits longer");
        device.TryClaim(clock.GetUtcNow().AddSeconds(2)).ShouldBeTrue();
    }

    [Fact]
    public async Task An_offline_device_makes_no_calls_at_all()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
        var status = new SimulatorStatus();
        using var http = new HttpClient { BaseAddress = ClosedPort() };
        var reporter = new DeviceReporter(new FleetApiClient(http), status, new FaultInjector(new FaultSettings { OfflinePercent = 100 }, 1), clock,
            NullLogger<DeviceReporter>.Instance);
        var device = new VirtualDevice(1, Tuning, clock.GetUtcNow());

        await reporter.ServeAsync(device, "token", Cancellation);

        status.Current().ShouldSatisfyAllConditions(
            s => s.RegistrationFailures.ShouldBe(0),
            s => s.HeartbeatFailures.ShouldBe(0),
            s => s.ReadingsTaken.ShouldBe(0));
        device.Identity.ShouldBeNull();
    }
}
