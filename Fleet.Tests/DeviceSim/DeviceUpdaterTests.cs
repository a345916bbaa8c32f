using System.Net;
using System.Security.Cryptography;
using Fleet.Contracts;
using Fleet.DeviceSim;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Identity;
using Fleet.DeviceSim.Updates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet.Tests.DeviceSim;

/// <summary>One device's updater with its download served from memory and its channel recorded.</summary>
public sealed class DeviceUpdaterTests : IDisposable
{
    private static readonly byte[] Artefact = [.. Enumerable.Range(0, 5000).Select(i => (byte)i)];
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private readonly ArtefactServer _server = new();
    private readonly VirtualDevice _device;
    private readonly RecordingLink _link;
    private readonly FirmwareDownloader _downloader;
    private readonly DeviceUpdater _updater;

    public DeviceUpdaterTests()
    {
        _device = new VirtualDevice(1, new SimulatorTuning(), DateTimeOffset.UtcNow);
        _device.Registered(new DeviceIdentity(Guid.NewGuid(), "key"), DateTimeOffset.UtcNow);
        _link = new RecordingLink(_device, TimeProvider.System, TimeSpan.FromMilliseconds(20));
        var faults = new FaultInjector(new FaultSettings(), 1);
        var status = new SimulatorStatus();
        var api = new FleetApiClient(new HttpClient(_server) { BaseAddress = new Uri("http://api") });
        _downloader = new FirmwareDownloader(api, faults, status, Options.Create(new SimulatorOptions()), TimeProvider.System, NullLogger<FirmwareDownloader>.Instance);
        _updater = new DeviceUpdater(_device, _link, _downloader, faults, status, NullLogger.Instance);
    }

    [Fact]
    public async Task An_offer_is_reported_step_by_step_to_healthy_and_the_device_runs_it_from_the_other_slot()
    {
        var offer = Offer("2.0.0");

        await _updater.OfferAsync(offer, Cancellation);
        await _updater.Work;

        States().ShouldBe(["downloading", "downloaded", "installing", "rebooting", "healthy"]);
        (_device.Slot, _device.Firmware).ShouldBe(("B", "2.0.0"));
        _link.Reboots.ShouldBe(1);
    }

    [Fact]
    public async Task A_repeated_offer_reports_the_current_state_and_does_not_download_again()
    {
        var offer = Offer("2.0.0");
        await _updater.OfferAsync(offer, Cancellation);
        await _updater.Work;

        await _updater.OfferAsync(offer, Cancellation);

        _server.Requests.ShouldBe(1);
        _link.Reboots.ShouldBe(1);
        States().ShouldBe(["downloading", "downloaded", "installing", "rebooting", "healthy", "healthy"]);
    }

    [Fact]
    public async Task A_sha256_that_does_not_match_fails_the_update_with_the_reason_and_installs_nothing()
    {
        await _updater.OfferAsync(Offer("2.0.0") with { Sha256 = new string('0', 64) }, Cancellation);
        await _updater.Work;

        var last = _link.Sent.OfType<UpdateProgress>().Last();
        (last.State, last.Reason!.StartsWith("sha256 mismatch", StringComparison.Ordinal)).ShouldBe(("failed", true));
        (_device.Slot, _device.Firmware).ShouldBe(("A", VirtualDevice.FactoryFirmware));
        _device.Slots.VersionIn("B").ShouldBe(VirtualDevice.FactoryFirmware);
    }

    [Fact]
    public async Task A_rollback_after_a_healthy_update_returns_to_the_previous_slot_and_reports_rolled_back()
    {
        var offer = Offer("2.0.0");
        await _updater.OfferAsync(offer, Cancellation);
        await _updater.Work;

        await _updater.RollbackAsync(new RollbackRequest(DeviceChannel.Rollback, offer.RolloutId, offer.ReleaseId), Cancellation);
        await _updater.RollbackAsync(new RollbackRequest(DeviceChannel.Rollback, offer.RolloutId, offer.ReleaseId), Cancellation);

        (_device.Slot, _device.Firmware).ShouldBe(("A", VirtualDevice.FactoryFirmware));
        States().TakeLast(2).ShouldBe(["rolled-back", "rolled-back"]);
        _link.Sent.OfType<UpdateProgress>().Last().Reason.ShouldBe("back on slot A (1.0.0)");
    }

    private List<string> States() => [.. _link.Sent.OfType<UpdateProgress>().Select(progress => progress.State)];

    private static UpdateOffer Offer(string version)
    {
        var release = Guid.NewGuid();
        return new UpdateOffer(DeviceChannel.Offer, Guid.NewGuid(), release, version, Convert.ToHexStringLower(SHA256.HashData(Artefact)), Artefact.Length,
            FirmwareHttp.Download(release));
    }

    public void Dispose()
    {
        _downloader.Dispose();
        _server.Dispose();
    }

    /// <summary>Serves the artefact whole, counting requests.</summary>
    private sealed class ArtefactServer : HttpMessageHandler
    {
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Artefact) });
        }
    }
}
