using System.Buffers;
using System.Net;
using Fleet.Contracts;
using Fleet.DeviceSim.Faults;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceSim.Updates;

/// <summary>What a download brought: the artefact, or why there is none; and how many times it resumed with Range.</summary>
public sealed record DownloadResult(byte[]? Content, string? Failure, int Resumed);

/// <summary>
/// Downloads firmware artefacts for the simulated devices. At most <c>MaxConcurrentDownloads</c> run at once in the
/// process (the others wait their turn), so a rollout to thousands of devices does not fetch the artefact thousands
/// of times at once. The partial bytes stay in memory: a cut download resumes with a Range request from where it
/// stopped. Faults can cut a download midway once, or corrupt what arrives (the sha256 check then fails).
/// </summary>
public sealed partial class FirmwareDownloader(
    FleetApiClient api,
    FaultInjector faults,
    SimulatorStatus status,
    IOptions<SimulatorOptions> options,
    TimeProvider clock,
    ILogger<FirmwareDownloader> logger) : IDisposable
{
    /// <summary>
    /// Requests one download may make (the first and its resumptions) before the device gives up: with the waits
    /// between them, about half a minute, so a download outlasts an API replica's restart and, with retries spread
    /// over the replicas service discovery names, one replica's death.
    /// </summary>
    public const int MaxAttempts = 12;

    private const int ChunkBytes = 16 * 1024;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(4);

    private readonly SemaphoreSlim _turns = new(options.Value.Simulator.MaxConcurrentDownloads);

    public async Task<DownloadResult> DownloadAsync(VirtualDevice device, string deviceKey, UpdateOffer offer, CancellationToken cancellationToken)
    {
        await _turns.WaitAsync(cancellationToken);
        try
        {
            return await DownloadInTurnAsync(device, deviceKey, offer, cancellationToken);
        }
        finally
        {
            _turns.Release();
        }
    }

    private async Task<DownloadResult> DownloadInTurnAsync(VirtualDevice device, string deviceKey, UpdateOffer offer, CancellationToken cancellationToken)
    {
        using var received = new MemoryStream((int)Math.Clamp(offer.Size, 0, 64 * 1024 * 1024));
        var cutAt = faults.CutsDownload(device.Index) && offer.Size > 1 ? offer.Size / 2 : long.MaxValue;
        string? etag = null;
        var (resumed, failure) = (0, "no attempt made");
        for (var attempt = 1; attempt <= MaxAttempts && received.Length < offer.Size; attempt++)
        {
            if (received.Length > 0)
            {
                resumed++;
                status.DownloadResumed();
            }

            try
            {
                using var response = await api.DownloadFirmwareAsync(deviceKey, offer.Url, received.Length, etag, cancellationToken);
                etag = response.Headers.ETag?.ToString() ?? etag;
                if (!Continues(response, received, offer.Size, out failure))
                {
                    if ((int)response.StatusCode is >= 400 and < 500 and not 408 and not 429)
                    {
                        break;
                    }

                    await WaitAsync(attempt, cancellationToken);
                    continue;
                }

                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                if (await CopyAsync(body, received, cutAt, cancellationToken))
                {
                    cutAt = long.MaxValue;
                    status.DownloadCut();
                    LogCut(logger, device.Serial, offer.Version, received.Length, offer.Size);
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or IOException
                || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                failure = exception.Message;
                await WaitAsync(attempt, cancellationToken);
            }
        }

        if (received.Length != offer.Size)
        {
            return new DownloadResult(null, $"download of {offer.Version} failed after {MaxAttempts} attempts ({received.Length}/{offer.Size} bytes): {failure}", resumed);
        }

        var content = received.ToArray();
        if (faults.CorruptsDownload(device.Index) && content.Length > 0)
        {
            content[content.Length / 2] ^= 0xFF;
        }

        return new DownloadResult(content, null, resumed);
    }

    /// <summary>Whether the answer carries the next bytes: a 206 from where we are, or a 200 (start again from zero).</summary>
    private static bool Continues(HttpResponseMessage response, MemoryStream received, long size, out string failure)
    {
        failure = $"{(int)response.StatusCode} {response.StatusCode}";
        switch (response.StatusCode)
        {
            case HttpStatusCode.OK:
                received.SetLength(0);
                return true;
            case HttpStatusCode.PartialContent when response.Content.Headers.ContentRange is { From: { } from } && from == received.Length:
                return true;
            case HttpStatusCode.PartialContent:
            case HttpStatusCode.RequestedRangeNotSatisfiable:
                // What we hold does not line up with the artefact (it changed, or we hold more than it has): start over.
                if (received.Length != size)
                {
                    received.SetLength(0);
                }

                return false;
            default:
                return false;
        }
    }

    /// <summary>Copies the body; true when it stopped at <paramref name="cutAt"/> bytes, as a dropped connection would.</summary>
    private static async Task<bool> CopyAsync(Stream body, MemoryStream received, long cutAt, CancellationToken cancellationToken)
    {
        var chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            while (true)
            {
                var room = (int)Math.Min(chunk.Length, cutAt - received.Length);
                if (room <= 0)
                {
                    return true;
                }

                var read = await body.ReadAsync(chunk.AsMemory(0, room), cancellationToken);
                if (read == 0)
                {
                    return false;
                }

                received.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private Task WaitAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromTicks(Math.Min(LongestRetry.Ticks, (long)(FirstRetry.Ticks * Math.Pow(2, attempt - 1)))) * (0.5 + Random.Shared.NextDouble() / 2), clock, cancellationToken);

    public void Dispose() => _turns.Dispose();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Download of {Version} to {Serial} cut at {Received}/{Size} bytes; resuming with a Range request")]
    private static partial void LogCut(ILogger logger, string serial, string version, long received, long size);
}
