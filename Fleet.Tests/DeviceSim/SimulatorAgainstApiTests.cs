using Fleet.DeviceSim;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Identity;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Fleet.Tests.DeviceSim;

/// <summary>An API whose telemetry rate limit is low enough for a simulated device to hit it within seconds.</summary>
public sealed class RateLimitedApiFixture(BackingServers servers) : IAsyncLifetime
{
    public const int RequestsPerMinute = 2;

    public ApiFactory Api { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Api = await ApiFactory.StartAsync(servers, TestContext.Current.CancellationToken,
        new Dictionary<string, string?> { ["Fleet:Telemetry:RequestsPerDevicePerMinute"] = RequestsPerMinute.ToString() });

    public async ValueTask DisposeAsync() => await Api.DisposeAsync();
}

/// <summary>The simulator's own scheduler, reporter and client against the real API, PostgreSQL and Redis.</summary>
public sealed class SimulatorAgainstApiTests(RateLimitedApiFixture fixture) : IClassFixture<RateLimitedApiFixture>, IDisposable
{
    private const int Devices = 3;
    private readonly string _directory = TestDirectories.Create("sim-api");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private (FleetSimulator Simulator, SimulatorStatus Status) Simulator(string serialPrefix)
    {
        var tuning = new SimulatorTuning
        {
            SerialPrefix = serialPrefix,
            HeartbeatSeconds = 1,
            TelemetrySeconds = 1,
            JitterPercent = 0,
            StateFile = Path.Combine(_directory, "devices.json"),
        };
        var fleet = new SimulatedFleet(fixture.Api, Devices, tuning);
        return (fleet.Simulator, fleet.Status);
    }

    [Fact]
    public async Task Simulated_devices_register_their_telemetry_lands_and_a_429_is_waited_out_without_losing_readings()
    {
        var (simulator, status) = Simulator("SIMRATE");
        await simulator.StartAsync(Cancellation);
        try
        {
            await Eventually.TrueAsync(
                async () => status.Current().Registered == Devices && await DevicesWithTelemetryAsync("SIMRATE") == Devices,
                TimeSpan.FromSeconds(30), "every simulated device registered with telemetry in PostgreSQL", Cancellation);
            await Eventually.TrueAsync(
                () => Task.FromResult(status.Current() is { RateLimited: >= Devices, ReadingsTaken: >= Devices * 10 }),
                TimeSpan.FromSeconds(30), "ten readings a device, past the rate limit", Cancellation);
        }
        finally
        {
            await simulator.StopAsync(CancellationToken.None);
        }

        // A device honouring Retry-After is refused once per one-minute window and waits for its end: ten readings
        // span two windows (three on a very slow run). Ignoring it would mean about eight refusals a device.
        var current = status.Current();
        current.RateLimited.ShouldBeLessThanOrEqualTo(3 * Devices);
        current.TelemetryFailures.ShouldBe(0);
        current.HeartbeatFailures.ShouldBe(0);

        // Every reading taken is stored or still waiting in its device's buffer.
        var accountedFor = 0L;
        foreach (var device in simulator.Devices)
        {
            var stored = await StoredSeqsAsync(device.Identity!.DeviceId);
            stored.UnionWith(device.PendingBatch().Readings!.Select(reading => reading.Seq!.Value));
            accountedFor += stored.Count;
        }

        accountedFor.ShouldBe(current.ReadingsTaken);
        current.ReadingsDropped.ShouldBe(0);
    }

    [Fact]
    public async Task A_restarted_simulator_is_the_same_fleet_without_registering_again()
    {
        var (first, firstStatus) = Simulator("SIMRESTART");
        await first.StartAsync(Cancellation);
        try
        {
            await Eventually.TrueAsync(() => Task.FromResult(firstStatus.Current().HeartbeatsSent >= Devices),
                TimeSpan.FromSeconds(30), "the first run's devices to report", Cancellation);
        }
        finally
        {
            await first.StopAsync(CancellationToken.None);
        }

        var (second, secondStatus) = Simulator("SIMRESTART");
        await second.StartAsync(Cancellation);
        try
        {
            await Eventually.TrueAsync(() => Task.FromResult(secondStatus.Current().HeartbeatsSent >= Devices),
                TimeSpan.FromSeconds(30), "the second run's devices to report", Cancellation);
        }
        finally
        {
            await second.StopAsync(CancellationToken.None);
        }

        second.Devices.Select(d => d.Identity).ShouldBe(first.Devices.Select(d => d.Identity));
        secondStatus.Current().ShouldSatisfyAllConditions(
            s => s.Registered.ShouldBe(Devices),
            s => s.HeartbeatFailures.ShouldBe(0),
            s => s.RegistrationFailures.ShouldBe(0));
        var devices = await Sql.ScalarAsync<long>(fixture.Api.DatabaseConnectionString, "SELECT count(*) FROM devices WHERE serial LIKE 'SIMRESTART-%'", Cancellation);
        devices.ShouldBe(Devices);
    }

    [Fact]
    public async Task A_device_whose_key_the_api_does_not_know_registers_again_and_reports()
    {
        var status = new SimulatorStatus();
        var reporter = new DeviceReporter(new FleetApiClient(fixture.Api.CreateClient()), status, new FaultInjector(new FaultSettings(), 1), TimeProvider.System,
            NullLogger<DeviceReporter>.Instance);
        var device = new VirtualDevice(1, new SimulatorTuning { SerialPrefix = "SIMREKEY" }, DateTimeOffset.UtcNow);
        device.Registered(new DeviceIdentity(Guid.NewGuid(), "a-key-this-api-never-issued"), DateTimeOffset.UtcNow);
        status.DeviceRegistered();

        await reporter.ServeAsync(device, ApiFactory.EnrollmentToken, Cancellation);
        device.Identity.ShouldBeNull();
        status.Current().Registered.ShouldBe(0);

        await reporter.ServeAsync(device, ApiFactory.EnrollmentToken, Cancellation);
        await reporter.ServeAsync(device, ApiFactory.EnrollmentToken, Cancellation);

        device.Identity.ShouldNotBeNull();
        status.Current().ShouldSatisfyAllConditions(
            s => s.Registered.ShouldBe(1),
            s => s.HeartbeatsSent.ShouldBe(1));
        reporter.TakeIdentitiesChanged().ShouldBeTrue();
    }

    private async Task<long> DevicesWithTelemetryAsync(string serialPrefix) =>
        await Sql.ScalarAsync<long>(fixture.Api.DatabaseConnectionString,
            "SELECT count(DISTINCT t.device_id) FROM telemetry t JOIN devices d ON d.id = t.device_id WHERE d.serial LIKE $1", Cancellation, serialPrefix + "-%");

    private async Task<HashSet<long>> StoredSeqsAsync(Guid deviceId)
    {
        await using var connection = new NpgsqlConnection(fixture.Api.DatabaseConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand("SELECT DISTINCT seq FROM telemetry WHERE device_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        var seqs = new HashSet<long>();
        while (await reader.ReadAsync(Cancellation))
        {
            seqs.Add(reader.GetInt64(0));
        }

        return seqs;
    }

    public void Dispose() => TestDirectories.Delete(_directory);
}
