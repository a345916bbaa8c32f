using Fleet.Api.Identity;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Fleet.Api.Firmware;

/// <summary>Operators publish and read firmware releases; devices download artefacts (<see cref="FirmwareDownload"/>).</summary>
public static class FirmwareApi
{
    public static IEndpointRouteBuilder MapFirmwareApi(this IEndpointRouteBuilder app)
    {
        var firmware = app.MapGroup(FirmwareHttp.ReleasesRoute)
            .WithTags("Firmware")
            .RequireRole(FleetRoles.Viewer);
        firmware.MapPost("/", PublishAsync).RequireRole(FleetRoles.Admin)
            .WithSummary("Publish a release: multipart with file, version, deviceTypes, hardwareRevisions, minimumCurrentVersion, notes")
            // No Accepts metadata: routing would answer 415 before the operator token is checked; the handler checks the type.
            .DisableAntiforgery()
            .Produces<FirmwareReleaseResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        firmware.MapGet("/", ListAsync).WithSummary("Releases, paged: page, pageSize, sort (createdAt, version; '-' for descending)");
        firmware.MapGet("/{id:guid}", DetailAsync).WithSummary("One release");

        app.MapGroup(FirmwareHttp.DownloadRoute)
            .WithTags("Device")
            .AddEndpointFilter<DeviceAuthFilter>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .MapGet("/{releaseId:guid}", FirmwareDownload.DownloadAsync)
            .WithSummary("Artefact bytes with Range (206/416), ETag (the sha256; If-None-Match → 304) and X-Firmware-Sha256")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .Produces(StatusCodes.Status206PartialContent)
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status416RangeNotSatisfiable);
        return app;
    }

    public static async Task<IResult> PublishAsync(
        HttpContext http, FleetDbContext db, IOptions<FirmwareOptions> options, TimeProvider clock, CancellationToken cancellationToken)
    {
        var maxArtefact = options.Value.MaxArtefactBytes;
        var maxBody = maxArtefact + FirmwareOptions.FormOverheadBytes;
        if (http.Request.ContentLength > maxBody)
        {
            return FirmwareUploadReader.TooLarge(maxArtefact);
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBody;
        }

        var (form, artefact, problem) = await FirmwareUploadReader.ReadAsync(http.Request, maxArtefact, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        await using (artefact)
        {
            var errors = new Dictionary<string, string[]>();
            if (artefact is null)
            {
                errors[FirmwareHttp.Fields.File] = ["is required: the artefact as a file part named 'file'."];
            }
            else if (artefact.Length == 0)
            {
                errors[FirmwareHttp.Fields.File] = ["is empty."];
            }

            var upload = FirmwareUpload.Parse(form!, errors);
            if (upload is null || artefact is null || errors.Count > 0)
            {
                return TypedResults.ValidationProblem(errors);
            }

            return await StoreAsync(db, upload, artefact, clock.GetUtcNow(), cancellationToken);
        }
    }

    /// <summary>The release row and its artefact in one transaction; the artefact streams from its file into the bytea column.</summary>
    private static async Task<IResult> StoreAsync(
        FleetDbContext db, FirmwareUpload upload, FirmwareArtefactFile artefact, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var version = upload.Version.ToString();
        if (await db.FirmwareReleases.AnyAsync(r => r.Version == version, cancellationToken))
        {
            return Duplicate(version);
        }

        var release = new FirmwareRelease
        {
            Id = Guid.CreateVersion7(),
            Version = version,
            VersionMajor = upload.Version.Major,
            VersionMinor = upload.Version.Minor,
            VersionPatch = upload.Version.Patch,
            VersionPrerelease = upload.Version.Prerelease,
            DeviceTypes = [.. upload.DeviceTypes],
            HardwareRevisions = [.. upload.HardwareRevisions],
            MinimumCurrentVersion = upload.MinimumCurrentVersion?.ToString(),
            Notes = upload.Notes,
            Sha256 = artefact.Sha256,
            Size = artefact.Length,
            CreatedAt = now,
        };
        db.FirmwareReleases.Add(release);
        try
        {
            // The connection's retrying strategy runs the whole transaction again on a transient failure, from the file's start.
            await db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
            {
                artefact.File.Position = 0;
                await using var transaction = await db.Database.BeginTransactionAsync(token);
                await db.SaveChangesAsync(acceptAllChangesOnSuccess: false, token);
                await using var insert = new NpgsqlCommand("INSERT INTO firmware_artefacts (release_id, content) VALUES ($1, $2)",
                    (NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction)transaction.GetDbTransaction());
                insert.Parameters.Add(new NpgsqlParameter { Value = release.Id });
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea, Value = artefact.File });
                await insert.ExecuteNonQueryAsync(token);
                await transaction.CommitAsync(token);
            }, cancellationToken);
            db.ChangeTracker.AcceptAllChanges();
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return Duplicate(version);
        }

        return TypedResults.Created($"{FirmwareHttp.ReleasesRoute}/{release.Id}", ToResponse(release));
    }

    public static async Task<Results<Ok<FirmwareListResponse>, ValidationProblem>> ListAsync(
        int? page, int? pageSize, string? sort, FleetDbContext db, CancellationToken cancellationToken)
    {
        const int maxPageSize = 500;
        var errors = OperatorQueries.ValidatePaging(page, pageSize, maxPageSize);
        var order = string.IsNullOrEmpty(sort) ? "-createdAt" : sort;
        var descending = order.StartsWith('-');
        var field = descending ? order[1..] : order;
        if (field is not ("createdAt" or "version"))
        {
            errors["sort"] = ["must be createdAt or version, optionally prefixed with '-' for descending."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var releases = db.FirmwareReleases.AsNoTracking();
        // Pre-releases sort before their release; pre-release identifiers compare as text here (close to, not exactly, semver).
        var ordered = (field, descending) switch
        {
            ("version", false) => releases.OrderBy(r => r.VersionMajor).ThenBy(r => r.VersionMinor).ThenBy(r => r.VersionPatch)
                .ThenBy(r => r.VersionPrerelease == null).ThenBy(r => r.VersionPrerelease),
            ("version", true) => releases.OrderByDescending(r => r.VersionMajor).ThenByDescending(r => r.VersionMinor).ThenByDescending(r => r.VersionPatch)
                .ThenByDescending(r => r.VersionPrerelease == null).ThenByDescending(r => r.VersionPrerelease),
            (_, false) => releases.OrderBy(r => r.CreatedAt).ThenBy(r => r.Id),
            _ => releases.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id),
        };
        var total = await releases.CountAsync(cancellationToken);
        var items = await ordered.Page(page, pageSize).ToListAsync(cancellationToken);
        return TypedResults.Ok(new FirmwareListResponse([.. items.Select(ToResponse)], total));
    }

    public static async Task<Results<Ok<FirmwareReleaseResponse>, NotFound>> DetailAsync(Guid id, FleetDbContext db, CancellationToken cancellationToken) =>
        await db.FirmwareReleases.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken) is { } release
            ? TypedResults.Ok(ToResponse(release))
            : TypedResults.NotFound();

    internal static FirmwareReleaseResponse ToResponse(FirmwareRelease release) => new(
        release.Id, release.Version, release.DeviceTypes, release.HardwareRevisions, release.MinimumCurrentVersion,
        release.Notes, release.Sha256, release.Size, release.CreatedAt);

    private static ProblemHttpResult Duplicate(string version) => TypedResults.Problem(
        statusCode: StatusCodes.Status409Conflict,
        title: "Version already published",
        detail: $"A release with version {version} exists; publish a new version instead.",
        extensions: new Dictionary<string, object?> { ["field"] = FirmwareHttp.Fields.Version });
}
