using System.Data;
using System.Globalization;
using Fleet.Api.Infrastructure;
using Fleet.Api.Rollouts;
using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Npgsql;

namespace Fleet.Api.Firmware;

/// <summary>
/// <c>GET /api/v1/device/firmware/{releaseId}</c>, for a release a rollout has offered the device: the artefact, or one byte range of it, streamed from PostgreSQL
/// (<c>substring</c> of an EXTERNAL bytea reads only the chunks asked for), so a device can resume a download.
/// </summary>
public static class FirmwareDownload
{
    private static readonly DeviceUpdateState[] OfferedStates = [DeviceUpdateState.Pending, .. DeviceUpdateTransitions.InFlight];

    private const string ReadRange = "SELECT substring(content FROM $2 FOR $3) FROM firmware_artefacts WHERE release_id = $1";

    public static async Task<IResult> DownloadAsync(
        Guid releaseId, HttpContext http, CurrentDevice device, FleetDbContext db, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        // Offered: the device is pending or in flight in a rollout of this release that was not stopped (aborted, rolled
        // back); a completed rollout's devices may still be downloading, since its gate does not wait for every device.
        var release = await db.FirmwareReleases.AsNoTracking()
            .Where(r => r.Id == releaseId && db.Rollouts.Any(rollout => rollout.ReleaseId == r.Id
                && (rollout.State == RolloutState.Running || rollout.State == RolloutState.Paused || rollout.State == RolloutState.Completed)
                && db.RolloutDevices.Any(rd => rd.RolloutId == rollout.Id && rd.DeviceId == device.Id && OfferedStates.Contains(rd.State))))
            .Select(r => new { r.Sha256, r.Size })
            .SingleOrDefaultAsync(cancellationToken);
        if (release is null)
        {
            // The same answer whether the release is missing or not offered to this device: a key does not reveal what exists.
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Release not found",
                detail: $"No firmware release {releaseId} has been offered to this device.");
        }

        var etag = new EntityTagHeaderValue($"\"{release.Sha256}\"");
        var headers = http.Response.Headers;
        headers.ETag = etag.ToString();
        headers[FirmwareHttp.Sha256Header] = release.Sha256;
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
            : ByteRange.Parse(http.Request.Headers.Range.ToString(), release.Size);

        switch (range)
        {
            case RangeRequest.Unsatisfiable:
                headers.ContentRange = $"bytes */{release.Size}";
                return TypedResults.Problem(statusCode: StatusCodes.Status416RangeNotSatisfiable, title: "Range not satisfiable",
                    detail: $"The artefact is {release.Size} bytes long.");
            case RangeRequest.Part part:
                http.Response.StatusCode = StatusCodes.Status206PartialContent;
                headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {part.From}-{part.To}/{release.Size}");
                return new ArtefactResult(dataSource, releaseId, part.From, part.Length);
            default:
                return new ArtefactResult(dataSource, releaseId, 0, release.Size);
        }
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
