using System.Data;
using System.Globalization;
using Fleet.Api.Infrastructure;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Npgsql;

namespace Fleet.Api.Firmware;

/// <summary>
/// <c>GET /api/v1/device/firmware/{releaseId}</c>, for a release a rollout has offered the device: the artefact, or one byte range of it, streamed from PostgreSQL
/// (<c>substring</c> of an EXTERNAL bytea reads only the chunks asked for), so a device can resume a download.
/// </summary>
public static class FirmwareDownload
{
    private static readonly string[] OfferedStates = [.. new[] { DeviceUpdateState.Pending }.Concat(DeviceUpdateTransitions.InFlight).Select(s => s.ToName())];

    private const string ReadRange = "SELECT substring(content FROM $2 FOR $3) FROM firmware_artefacts WHERE release_id = $1";

    // Offered: the device is pending or in flight in a rollout of this release that was not stopped (aborted, rolled
    // back); a completed rollout's devices may still be downloading, since its gate does not wait for every device.
    private const string FindOffered = """
        SELECT f.sha256, f.size FROM firmware_releases f
        WHERE f.id = $1 AND EXISTS (
            SELECT 1 FROM rollouts r JOIN rollout_devices rd ON rd.rollout_id = r.id
            WHERE r.release_id = f.id AND r.state = ANY($3) AND rd.device_id = $2 AND rd.state = ANY($4))
        """;

    private static readonly string[] OpenRollouts = [.. new[] { RolloutState.Running, RolloutState.Paused, RolloutState.Completed }.Select(s => s.ToName())];

    public static async Task<IResult> DownloadAsync(
        Guid releaseId, HttpContext http, CurrentDevice device, NpgsqlDataSource dataSource, IOptions<FleetOptions> options, CancellationToken cancellationToken)
    {
        // Bounded like the key lookup: a hung PostgreSQL answers the device 503, not after the driver's own timeout.
        var lookup = FindOfferedAsync(dataSource, releaseId, device.Id);
        (string Sha256, long Size)? release;
        try
        {
            release = await lookup.WaitAsync(options.Value.DeviceStoreTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            _ = lookup.ContinueWith(static left => left.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return StoreUnavailable.Problem(http, options.Value, "Firmware store unavailable", "The release could not be looked up now; try again after Retry-After seconds.");
        }

        if (release is not { } found)
        {
            // The same answer whether the release is missing or not offered to this device: a key does not reveal what exists.
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Release not found",
                detail: $"No firmware release {releaseId} has been offered to this device.");
        }

        var etag = new EntityTagHeaderValue($"\"{found.Sha256}\"");
        var headers = http.Response.Headers;
        headers.ETag = etag.ToString();
        headers[FirmwareHttp.Sha256Header] = found.Sha256;
        headers.AcceptRanges = "bytes";

        var request = http.Request.GetTypedHeaders();
        if (request.IfNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(etag, useStrongComparison: false)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        // If-Range with another ETag (an older artefact): the part the device holds is stale, so send everything.
        var ifRange = http.Request.Headers.IfRange.ToString();
        var range = ifRange.Length > 0 && !string.Equals(ifRange.Trim(), etag.ToString(), StringComparison.Ordinal)
            ? new RangeRequest.Whole()
            : ByteRange.Parse(http.Request.Headers.Range.ToString(), found.Size);

        switch (range)
        {
            case RangeRequest.Unsatisfiable:
                headers.ContentRange = $"bytes */{found.Size}";
                return TypedResults.Problem(statusCode: StatusCodes.Status416RangeNotSatisfiable, title: "Range not satisfiable",
                    detail: $"The artefact is {found.Size} bytes long.");
            case RangeRequest.Part part:
                http.Response.StatusCode = StatusCodes.Status206PartialContent;
                headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {part.From}-{part.To}/{found.Size}");
                return new ArtefactResult(dataSource, releaseId, part.From, part.Length);
            default:
                return new ArtefactResult(dataSource, releaseId, 0, found.Size);
        }
    }

    private static async Task<(string Sha256, long Size)?> FindOfferedAsync(NpgsqlDataSource dataSource, Guid releaseId, Guid deviceId)
    {
        await using var command = dataSource.CreateCommand(FindOffered);
        command.Parameters.Add(new NpgsqlParameter { Value = releaseId });
        command.Parameters.Add(new NpgsqlParameter { Value = deviceId });
        command.Parameters.Add(new NpgsqlParameter { Value = OpenRollouts });
        command.Parameters.Add(new NpgsqlParameter { Value = OfferedStates });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetString(0).Trim(), reader.GetInt64(1)) : null;
    }

    /// <summary>Streams <c>length</c> bytes from <c>from</c> without holding the artefact in memory.</summary>
    private sealed class ArtefactResult(NpgsqlDataSource dataSource, Guid releaseId, long from, long length) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var cancellationToken = httpContext.RequestAborted;
            httpContext.Response.ContentType = "application/octet-stream";
            httpContext.Response.ContentLength = length;
            await using var command = dataSource.CreateCommand(ReadRange);
            command.Parameters.Add(new NpgsqlParameter { Value = releaseId });
            command.Parameters.Add(new NpgsqlParameter { Value = checked((int)(from + 1)) });
            command.Parameters.Add(new NpgsqlParameter { Value = checked((int)length) });
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new InvalidOperationException($"Firmware release {releaseId} has no artefact.");
            }

            await using var bytes = await reader.GetStreamAsync(0, cancellationToken);
            await bytes.CopyToAsync(httpContext.Response.Body, cancellationToken);
        }
    }
}
