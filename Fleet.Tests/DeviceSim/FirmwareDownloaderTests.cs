using System.Net;
using Fleet.Contracts;
using Fleet.DeviceSim;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Updates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Tests.DeviceSim;

/// <summary>How long a device keeps at a download the API does not answer, on a fake clock (the waits between attempts pass at once).</summary>
public sealed class FirmwareDownloaderTests
{
    private static readonly byte[] Artefact = [.. Enumerable.Range(0, 3000).Select(i => (byte)i)];
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_download_outlasts_an_api_that_refuses_ten_requests_in_a_row()
    {
        var server = new RefusingServer(refusals: 10);

        var result = await DownloadAsync(server);

        result.Failure.ShouldBeNull();
        result.Content.ShouldBe(Artefact);
        server.Requests.ShouldBe(11);
    }

    [Fact]
    public async Task A_download_the_api_never_answers_fails_after_the_last_attempt_with_the_reason()
    {
        var server = new RefusingServer(refusals: int.MaxValue);

        var result = await DownloadAsync(server);

        result.Content.ShouldBeNull();
        result.Failure.ShouldNotBeNull().ShouldContain($"failed after {FirmwareDownloader.MaxAttempts} attempts");
        server.Requests.ShouldBe(FirmwareDownloader.MaxAttempts);
    }

    private static async Task<DownloadResult> DownloadAsync(RefusingServer server)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var downloader = new FirmwareDownloader(new FleetApiClient(new HttpClient(server) { BaseAddress = new Uri("http://api") }),
            new FaultInjector(new FaultSettings(), 1), new SimulatorStatus(), Options.Create(new SimulatorOptions()), clock, NullLogger<FirmwareDownloader>.Instance);
        var device = new VirtualDevice(1, new SimulatorTuning(), clock.GetUtcNow());
        var release = Guid.NewGuid();
        var offer = new UpdateOffer(DeviceChannel.Offer, Guid.NewGuid(), release, "2.0.0", "unused", Artefact.Length, FirmwareHttp.Download(release));
        var download = downloader.DownloadAsync(device, "key", offer, Cancellation);
        while (!download.IsCompleted)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        return await download;
    }

    /// <summary>Refuses connections (as a dead replica's port does) a number of times, then serves the artefact.</summary>
    private sealed class RefusingServer(int refusals) : HttpMessageHandler
    {
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _requests) <= refusals
                ? Task.FromException<HttpResponseMessage>(new HttpRequestException("Connection refused (api:80)", null, HttpStatusCode.ServiceUnavailable))
                : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Artefact) });
    }
}
