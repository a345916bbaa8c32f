using System.Net;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.DeviceSim;
using Fleet.DeviceSim.Faults;
using Fleet.Tests.Firmware;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rollouts;

namespace Fleet.Tests.DeviceSim;

/// <summary>An API whose rollout controller ticks often, so a rollout with no soak moves within seconds; it speaks MQTT too.</summary>
public sealed class FastRolloutApiFixture(BackingServers servers) : IAsyncLifetime
{
    public ApiFactory Api { get; private set; } = null!;

    public HttpClient Operator { get; private set; } = null!;

    /// <summary>The run's broker, for simulated MQTT devices.</summary>
    public MqttBrokerSettings Mqtt { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Mqtt = MqttDevice.BrokerSettings(servers);
        var settings = MqttDevice.ApiSettings(servers);
        settings["Fleet:Rollouts:TickInterval"] = "00:00:00.200";
        settings["Fleet:Rollouts:GateInterval"] = "00:00:00";
        Api = await ApiFactory.StartAsync(servers, TestContext.Current.CancellationToken, settings);
        Operator = Api.CreateClient().AsOperator();
    }

    public async ValueTask DisposeAsync()
    {
        Operator.Dispose();
        await Api.DisposeAsync();
    }
}

/// <summary>
/// Simulated devices updating through the real API: the operator publishes a release and starts a rollout, the
/// devices take the offer over their channels, download, verify, install, reboot and report; faults make them fail.
/// </summary>
public sealed class UpdatesAgainstApiTests(FastRolloutApiFixture fixture) : IClassFixture<FastRolloutApiFixture>
{
    private const int Devices = 6;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_rollout_takes_every_simulated_device_to_healthy_on_its_other_slot()
    {
        using var fleet = await StartFleetAsync("SIMUPOK");
        try
        {
            var (rollout, release) = await RollOutAsync(fleet, Artefact(40_000));

            await DevicesReachAsync(rollout.Id, Devices, "healthy");
            await HeartbeatsShowAsync(fleet.Devices, release.Version, "B");
            fleet.Devices.ShouldAllBe(device => device.Slots.VersionIn("A") == VirtualDevice.FactoryFirmware);
            await Eventually.TrueAsync(async () => (await RolloutAsync(rollout.Id)).State == "completed", Patience, "the rollout to complete", Cancellation);
        }
        finally
        {
            await fleet.Simulator.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_boot_failure_on_one_hardware_revision_fails_those_devices_which_stay_on_their_old_slot()
    {
        using var fleet = await StartFleetAsync("SIMUPBOOT");
        var revision = fleet.Devices[0].HardwareRevision;
        try
        {
            await RollOutWithBootFailureAsync(fleet, revision);
        }
        finally
        {
            await fleet.Simulator.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_rollout_across_a_mixed_fleet_fails_the_boot_failing_revision_on_both_transports_and_updates_the_rest()
    {
        using var fleet = await StartFleetAsync("SIMUPMIX", protocol: DeviceProtocol.Mixed);
        var mqtt = fleet.Devices.Where(fleet.Channels.UsesMqtt).ToList();
        var websocket = fleet.Devices.Except(mqtt).ToList();
        (mqtt.Count, websocket.Count).ShouldSatisfyAllConditions(counts => counts.Item1.ShouldBeGreaterThan(0), counts => counts.Item2.ShouldBeGreaterThan(0));
        // The failing revision is one that devices of both transports have, when the draw gives one.
        var revision = mqtt.Select(device => device.HardwareRevision).Intersect(websocket.Select(device => device.HardwareRevision)).FirstOrDefault()
            ?? mqtt[0].HardwareRevision;
        try
        {
            await RollOutWithBootFailureAsync(fleet, revision);
            foreach (var device in mqtt)
            {
                var detail = await fixture.Operator.GetFromJsonAsync<DeviceDetail>($"{FleetHttp.DevicesRoute}/{device.Identity!.DeviceId}", Cancellation);
                detail!.Link.ShouldNotBeNull().Protocol.ShouldBe("mqtt", "its offer and reports went over MQTT");
            }
        }
        finally
        {
            await fleet.Simulator.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Corrupt_downloads_fail_the_sha256_check_and_nothing_is_installed()
    {
        using var fleet = await StartFleetAsync("SIMUPSHA", new FaultSettings { CorruptDownloadPercent = 100 });
        try
        {
            var (rollout, _) = await RollOutAsync(fleet, Artefact(5000));

            await DevicesReachAsync(rollout.Id, Devices, "failed");
            (await RolloutDevicesAsync(rollout.Id)).ShouldAllBe(device => device.Reason!.StartsWith("sha256 mismatch"));
            fleet.Devices.ShouldAllBe(device => device.Slot == "A" && device.Firmware == VirtualDevice.FactoryFirmware);
            fleet.Status.Current().UpdatesHealthy.ShouldBe(0);
        }
        finally
        {
            await fleet.Simulator.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_download_cut_midway_resumes_with_a_range_request_and_the_update_completes()
    {
        var downloads = new FirmwareResponses();
        using var fleet = await StartFleetAsync("SIMUPCUT", new FaultSettings { CutDownloadPercent = 100 }, [downloads]);
        try
        {
            var (rollout, release) = await RollOutAsync(fleet, Artefact(200_000));

            await DevicesReachAsync(rollout.Id, Devices, "healthy");
            fleet.Status.Current().ShouldSatisfyAllConditions(
                status => status.DownloadsCut.ShouldBe(Devices),
                status => status.DownloadsResumed.ShouldBe(Devices));
            downloads.PartialFrom.Count.ShouldBe(Devices);
            downloads.PartialFrom.ShouldAllBe(from => from == release.Size / 2);
            downloads.Whole.ShouldBe(Devices);
        }
        finally
        {
            await fleet.Simulator.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task An_operator_rollback_sends_healthy_devices_back_to_their_previous_slot()
    {
        using var fleet = await StartFleetAsync("SIMUPBACK");
        try
        {
            var (rollout, release) = await RollOutAsync(fleet, Artefact(1000), soak: TimeSpan.FromHours(1));
            await DevicesReachAsync(rollout.Id, Devices, "healthy");
            await HeartbeatsShowAsync(fleet.Devices, release.Version, "B");

            using var rollback = await fixture.Operator.ActAsync(rollout.Id, "rollback", Cancellation, "test");
            rollback.StatusCode.ShouldBe(HttpStatusCode.OK);

            await DevicesReachAsync(rollout.Id, Devices, "rolled-back");
            await HeartbeatsShowAsync(fleet.Devices, VirtualDevice.FactoryFirmware, "A");
        }
        finally
        {
            await fleet.Simulator.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Every device of <paramref name="revision"/> fails to boot the new release: those end failed, back on slot A with the
    /// factory firmware, and the rest healthy on slot B.
    /// </summary>
    private async Task RollOutWithBootFailureAsync(SimulatedFleet fleet, string revision)
    {
        var version = NewVersion();
        fleet.Faults.Apply(new FaultSettings { BootFailures = [new BootFailureFault { Version = version, HardwareRevision = revision.ToUpperInvariant(), Percent = 100 }] });
        var (rollout, _) = await RollOutAsync(fleet, Artefact(1000), version);

        var failing = fleet.Devices.Where(device => device.HardwareRevision == revision).ToList();
        var healthy = fleet.Devices.Except(failing).ToList();
        await DevicesReachAsync(rollout.Id, failing.Count, "failed");
        await DevicesReachAsync(rollout.Id, healthy.Count, "healthy");
        var failed = (await RolloutDevicesAsync(rollout.Id)).Where(device => device.State == "failed").ToList();
        failed.Select(device => device.DeviceId).ShouldBe(failing.Select(device => device.Identity!.DeviceId), ignoreOrder: true);
        failed.ShouldAllBe(device => device.Reason!.Contains("boot health check") && device.Reason.Contains("rolled back to slot A"));
        await HeartbeatsShowAsync(failing, VirtualDevice.FactoryFirmware, "A");
        await HeartbeatsShowAsync(healthy, version, "B");
    }

    private async Task<SimulatedFleet> StartFleetAsync(
        string serialPrefix, FaultSettings? faults = null, DelegatingHandler[]? handlers = null, string protocol = DeviceProtocol.Http)
    {
        var tuning = new SimulatorTuning
        {
            Protocol = protocol,
            SerialPrefix = serialPrefix,
            HeartbeatSeconds = 1,
            TelemetrySeconds = 5,
            RebootSeconds = 0.3,
            ChannelMaxBackoffSeconds = 1,
            MaxConcurrentDownloads = 2,
            Faults = faults ?? new FaultSettings(),
        };
        var fleet = new SimulatedFleet(fixture.Api, Devices, tuning, fixture.Mqtt, handlers ?? []);
        await fleet.Simulator.StartAsync(Cancellation);
        await Eventually.TrueAsync(() => Task.FromResult(fleet.Status.Current() is { Registered: Devices } status && status.ChannelsOpen + status.MqttConnected == Devices),
            Patience, "every simulated device registered with its channel open or connected to the broker", Cancellation);
        return fleet;
    }

    private async Task<(RolloutResponse Rollout, FirmwareReleaseResponse Release)> RollOutAsync(
        SimulatedFleet fleet, byte[] artefact, string? version = null, TimeSpan soak = default)
    {
        var types = string.Join(',', fleet.Devices.Select(device => device.Type).Distinct());
        var release = await fixture.Operator.PublishAsync(version ?? NewVersion(), artefact, Cancellation, types);
        var rollout = await fixture.Operator.CreateRolloutAsync(new CreateRolloutRequest(
            release.Id,
            new RolloutTarget(DeviceIds: [.. fleet.Devices.Select(device => device.Identity!.DeviceId)]),
            new RolloutPlan(Phases: [new RolloutPhase(100, soak, 0, 1)])), Cancellation);
        using var started = await fixture.Operator.ActAsync(rollout.Id, "start", Cancellation);
        started.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (rollout, release);
    }

    private Task DevicesReachAsync(Guid rolloutId, int count, string state) =>
        Eventually.TrueAsync(async () => (await RolloutDevicesAsync(rolloutId)).Count(device => device.State == state) == count,
            Patience, $"{count} devices {state}", Cancellation);

    private Task HeartbeatsShowAsync(IEnumerable<VirtualDevice> devices, string firmware, string slot) =>
        Eventually.TrueAsync(async () =>
        {
            foreach (var device in devices)
            {
                var detail = await fixture.Operator.GetFromJsonAsync<DeviceDetail>($"{FleetHttp.DevicesRoute}/{device.Identity!.DeviceId}", Cancellation);
                if (detail?.Latest is not { } latest || latest.Firmware != firmware || latest.Slot != slot)
                {
                    return false;
                }
            }

            return true;
        }, Patience, $"heartbeats showing {firmware} in slot {slot}", Cancellation);

    private async Task<IReadOnlyList<RolloutDeviceResponse>> RolloutDevicesAsync(Guid rolloutId) =>
        (await fixture.Operator.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(rolloutId)}/devices?pageSize=100", Cancellation))!.Items;

    private async Task<RolloutResponse> RolloutAsync(Guid rolloutId) =>
        (await fixture.Operator.GetFromJsonAsync<RolloutResponse>(RolloutHttp.Rollout(rolloutId), Cancellation))!;

    private static string NewVersion() => $"3.{Random.Shared.Next(1_000_000)}.{Random.Shared.Next(1_000_000)}";

    private static byte[] Artefact(int size)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Counts the API's answers to firmware downloads: whole artefacts (200) and the ranges resumed (206, by first byte).</summary>
    private sealed class FirmwareResponses : DelegatingHandler
    {
        private int _whole;

        public System.Collections.Concurrent.ConcurrentBag<long> PartialFrom { get; } = [];

        public int Whole => Volatile.Read(ref _whole);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.RequestUri!.AbsolutePath.StartsWith(FirmwareHttp.DownloadRoute, StringComparison.Ordinal))
            {
                if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From is { } from
                    && request.Headers.Range is not null)
                {
                    PartialFrom.Add(from);
                }
                else if (response.StatusCode == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref _whole);
                }
            }

            return response;
        }
    }
}
