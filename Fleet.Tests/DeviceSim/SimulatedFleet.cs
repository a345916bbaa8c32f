using System.Net.WebSockets;
using Fleet.Contracts;
using Fleet.DeviceSim;
using Fleet.DeviceSim.Channels;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Identity;
using Fleet.DeviceSim.Updates;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet.Tests.DeviceSim;

/// <summary>Opens device channels to an in-process API through its test server.</summary>
public sealed class TestServerChannelConnector(WebApplicationFactory<Fleet.Api.Infrastructure.FleetDbContext> api) : IDeviceChannelConnector
{
    public async Task<WebSocket> ConnectAsync(string deviceKey, CancellationToken cancellationToken)
    {
        var client = api.Server.CreateWebSocketClient();
        client.ConfigureRequest = request => request.Headers.Authorization = $"{FleetHttp.DeviceAuthScheme} {deviceKey}";
        try
        {
            return await client.ConnectAsync(new Uri(api.Server.BaseAddress, DeviceChannel.Route), cancellationToken);
        }
        catch (InvalidOperationException refused)
        {
            throw new WebSocketException(refused.Message, refused);
        }
    }
}

/// <summary>The simulator's real parts (scheduler, reporter, channels, downloader) wired to an in-process API.</summary>
public sealed class SimulatedFleet : IDisposable
{
    private readonly FirmwareDownloader _downloader;

    public SimulatedFleet(
        WebApplicationFactory<Fleet.Api.Infrastructure.FleetDbContext> api, int devices, SimulatorTuning tuning, params DelegatingHandler[] handlers)
        : this(api, devices, tuning, mqtt: null, handlers)
    {
    }

    /// <param name="mqtt">The broker, for a tuning whose protocol is mqtt or mixed.</param>
    public SimulatedFleet(
        WebApplicationFactory<Fleet.Api.Infrastructure.FleetDbContext> api, int devices, SimulatorTuning tuning, MqttBrokerSettings? mqtt,
        params DelegatingHandler[] handlers)
    {
        var options = Options.Create(new SimulatorOptions
        {
            Devices = devices, EnrollmentToken = ApiFactory.EnrollmentToken, Simulator = tuning, Mqtt = mqtt ?? new MqttBrokerSettings(),
        });
        Status = new SimulatorStatus();
        Faults = new FaultInjector(tuning.Faults, tuning.Seed);
        var client = new FleetApiClient(api.CreateDefaultClient(handlers));
        _downloader = new FirmwareDownloader(client, Faults, Status, options, TimeProvider.System, NullLogger<FirmwareDownloader>.Instance);
        Channels = new DeviceChannels(new TestServerChannelConnector(api), _downloader, Faults, Status, options, TimeProvider.System, NullLogger<DeviceChannels>.Instance);
        var reporter = new DeviceReporter(client, Status, Faults, TimeProvider.System, NullLogger<DeviceReporter>.Instance, Channels);
        Simulator = new FleetSimulator(reporter, Channels, options, Status, Faults, new DeviceIdentityFile(tuning.StateFile ?? Path.GetTempFileName()),
            TimeProvider.System, NullLogger<FleetSimulator>.Instance);
    }

    public FleetSimulator Simulator { get; }

    public SimulatorStatus Status { get; }

    public FaultInjector Faults { get; }

    public DeviceChannels Channels { get; }

    public IReadOnlyList<VirtualDevice> Devices => Simulator.Devices;

    public void Dispose()
    {
        Simulator.Dispose();
        Channels.Dispose();
        _downloader.Dispose();
    }
}
