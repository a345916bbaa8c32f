using System.Net;
using System.Net.WebSockets;
using Fleet.DeviceSim;
using Fleet.DeviceSim.Channels;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Identity;
using Fleet.DeviceSim.Updates;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet.Tests.DeviceSim;

/// <summary>
/// The simulator's real parts (scheduler, reporter, channels) with MQTT devices already enrolled: their identities come
/// from the state file, as after an earlier run, so no api is needed. HTTP calls (there should be none) are refused.
/// </summary>
public sealed class MqttFleet : IAsyncDisposable
{
    private readonly string _directory = TestDirectories.Create("sim-mqtt-fleet");
    private readonly FirmwareDownloader _downloader;
    private readonly HttpClient _http = new(new RefusingHandler()) { BaseAddress = new Uri("http://api.invalid") };

    public MqttFleet(IReadOnlyList<DeviceIdentity> identities, int port, Action<SimulatorTuning>? tune = null, int notAuthorizedBackoffSeconds = 300)
    {
        Identities = identities;
        var tuning = new SimulatorTuning
        {
            Protocol = DeviceProtocol.Mqtt,
            HeartbeatSeconds = 1,
            TelemetrySeconds = 1,
            JitterPercent = 0,
            RebootSeconds = 1,
            ChannelMaxBackoffSeconds = 2,
            StateFile = Path.Combine(_directory, "devices.json"),
        };
        tune?.Invoke(tuning);
        var options = Options.Create(new SimulatorOptions
        {
            Devices = identities.Count,
            EnrollmentToken = "not-used",
            Simulator = tuning,
            Mqtt = new MqttBrokerSettings { Host = "127.0.0.1", Port = port, KeepAliveSeconds = 5, NotAuthorizedBackoffSeconds = notAuthorizedBackoffSeconds },
        });
        Status = new SimulatorStatus();
        var faults = new FaultInjector(tuning.Faults, tuning.Seed);
        var client = new FleetApiClient(_http);
        _downloader = new FirmwareDownloader(client, faults, Status, options, TimeProvider.System, NullLogger<FirmwareDownloader>.Instance);
        Channels = new DeviceChannels(new RefusingConnector(), _downloader, faults, Status, options, TimeProvider.System, NullLogger<DeviceChannels>.Instance);
        var reporter = new DeviceReporter(client, Status, faults, TimeProvider.System, NullLogger<DeviceReporter>.Instance, Channels);
        Simulator = new FleetSimulator(reporter, Channels, options, Status, faults, new DeviceIdentityFile(tuning.StateFile),
            TimeProvider.System, NullLogger<FleetSimulator>.Instance);
    }

    public IReadOnlyList<DeviceIdentity> Identities { get; }

    public FleetSimulator Simulator { get; }

    public DeviceChannels Channels { get; }

    public SimulatorStatus Status { get; }

    /// <summary>Writes the identities to the state file (serials as the simulator numbers them) and starts the simulator.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var serials = Identities.Select((identity, i) => (Serial: $"{new SimulatorTuning().SerialPrefix}-{i + 1:D6}", identity))
            .ToDictionary(entry => entry.Serial, entry => entry.identity);
        await new DeviceIdentityFile(Path.Combine(_directory, "devices.json")).SaveAsync(serials, cancellationToken);
        await Simulator.StartAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await Simulator.StopAsync(CancellationToken.None);
        Simulator.Dispose();
        Channels.Dispose();
        _downloader.Dispose();
        _http.Dispose();
        TestDirectories.Delete(_directory);
    }

    private sealed class RefusingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
    }

    private sealed class RefusingConnector : IDeviceChannelConnector
    {
        public Task<WebSocket> ConnectAsync(string deviceKey, CancellationToken cancellationToken) =>
            throw new WebSocketException("MQTT devices open no WebSocket");
    }
}
