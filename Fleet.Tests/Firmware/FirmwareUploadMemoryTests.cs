using System.Net;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Firmware;

[CollectionDefinition(nameof(FirmwareUploadMemoryTests), DisableParallelization = true)]
public sealed class FirmwareUploadMemoryRunsAlone;

/// <summary>
/// Uploads stream to PostgreSQL through a temporary file: after N uploads of tens of MB the API's managed heap, after
/// a full collection, is back where it was once warm (8 retained artefacts would be 256 MiB; the allowance is 64).
/// Runs alone, so other tests' allocations do not blur the figures.
/// </summary>
[Collection(nameof(FirmwareUploadMemoryTests))]
public sealed class FirmwareUploadMemoryTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private const int WarmUploads = 2;
    private const int Uploads = 8;
    private const int ArtefactBytes = 32 * 1024 * 1024;
    /// <summary>
    /// Two artefacts' worth: one artefact kept per upload would be 256 MiB. The whole suite's process also holds other
    /// classes' fixtures (APIs, AppHosts) whose background work retains 15–30 MiB over these seconds; alone it is 0.
    /// </summary>
    private const long AllowedGrowth = 2L * ArtefactBytes;
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Live_memory_after_a_full_collection_returns_to_its_level_after_uploads()
    {
        using var http = fixture.Api.CreateClient().AsOperator();
        var artefact = new byte[ArtefactBytes];
        new Random(26).NextBytes(artefact);
        // Warm-up uploads first (code paths, pools, buffers sized for a large artefact, connections): what they keep
        // once is no leak. The baseline is taken after them; a leak would grow with every upload after it.
        await PublishAsync(http, artefact[..1024], "90.0.0");
        for (var i = 1; i <= WarmUploads; i++)
        {
            await PublishAsync(http, artefact, $"90.1.{i}");
        }

        var before = LiveBytesAfterFullCollection();

        for (var i = 1; i <= Uploads; i++)
        {
            await PublishAsync(http, artefact, $"90.0.{i}");
        }

        var after = LiveBytesAfterFullCollection();
        var figures = $"{Uploads} uploads of {ArtefactBytes >> 20} MiB: live {before >> 20} MiB before, {after >> 20} MiB after "
            + $"(large-object heap {GC.GetGCMemoryInfo(GCKind.FullBlocking).GenerationInfo[3].SizeAfterBytes >> 20} MiB, test's own artefact included)";
        TestContext.Current.TestOutputHelper?.WriteLine(figures);
        (after - before).ShouldBeLessThan(AllowedGrowth, figures);
    }

    private static async Task PublishAsync(HttpClient http, byte[] artefact, string version)
    {
        using var form = FirmwareTestClient.ReleaseForm(artefact, version);
        using var response = await http.PostAsync(FirmwareHttp.ReleasesRoute, form, Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    /// <summary>Bytes still referenced after a blocking full collection: what the process cannot give back.</summary>
    private static long LiveBytesAfterFullCollection()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
        return GC.GetTotalMemory(forceFullCollection: false);
    }
}
