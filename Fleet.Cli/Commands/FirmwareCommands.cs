using System.CommandLine;
using System.Net.Http.Headers;
using Fleet.Cli.Connection;
using Fleet.Cli.Output;
using Fleet.Contracts;

namespace Fleet.Cli.Commands;

/// <summary><c>firmware list</c> and <c>firmware publish</c> (multipart, as <c>POST /api/v1/firmware</c> takes it).</summary>
public static class FirmwareCommands
{
    public static Command Create(CliContext context) => new("firmware", "Firmware releases") { List(context), Publish(context) };

    private static Command List(CliContext context)
    {
        var command = new Command("list", "Releases, newest first (up to 500)");
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var releases = await run.Api.GetAsync<FirmwareListResponse>($"{FirmwareHttp.ReleasesRoute}?sort=-createdAt&pageSize=500", cancellationToken);
            return run.Write(releases, list =>
            {
                var table = new TextTable("ID", "VERSION", "TYPES", "REVISIONS", "MIN VERSION", "SIZE", "CREATED");
                foreach (var release in list.Items)
                {
                    table.Add(release.Id.ToString(), release.Version, string.Join(",", release.DeviceTypes),
                        release.HardwareRevisions.Count == 0 ? "any" : string.Join(",", release.HardwareRevisions),
                        release.MinimumCurrentVersion, Show.Bytes(release.Size), Show.Time(release.CreatedAt));
                }

                table.WriteTo(run.Out);
                run.Out.WriteLine($"{list.Items.Count} of {list.Total} releases");
            });
        });
    }

    private static Command Publish(CliContext context)
    {
        var version = new Option<string>("--version") { Description = "Semantic version of the release, e.g. 2.4.0", Required = true };
        var file = new Option<FileInfo>("--file") { Description = "The firmware artefact", Required = true };
        var types = new Option<string>("--types") { Description = "Device types it is for, comma-separated", Required = true };
        var revisions = new Option<string?>("--revisions") { Description = "Hardware revisions, comma-separated (none: every revision)" };
        var minimum = new Option<string?>("--min-version") { Description = "Lowest firmware a device may be on to take it" };
        var notes = new Option<string?>("--notes") { Description = "Release notes" };
        var command = new Command("publish", "Publish a release (admin), with a progress bar on a terminal; prints its id, version, size and the server's SHA-256")
        {
            version, file, types, revisions, minimum, notes,
        };
        return command.Runs(context, async (run, cancellationToken) =>
        {
            var artefact = run.Value(file)!;
            if (!artefact.Exists)
            {
                throw new UsageException($"No such file: {artefact.FullName}");
            }

            var progress = run.Json || !context.OutIsTerminal ? null : new UploadProgress(run.Out, artefact.Length);
            await using var stream = new ProgressStream(artefact.OpenRead(), sent => progress?.Report(sent));
            using var form = new MultipartFormDataContent();
            var body = new StreamContent(stream);
            body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(body, FirmwareHttp.Fields.File, artefact.Name);
            void Field(string name, string? value)
            {
                if (!string.IsNullOrWhiteSpace(value))
                {
                    form.Add(new StringContent(value), name);
                }
            }

            Field(FirmwareHttp.Fields.Version, run.Value(version));
            Field(FirmwareHttp.Fields.DeviceTypes, run.Value(types));
            Field(FirmwareHttp.Fields.HardwareRevisions, run.Value(revisions));
            Field(FirmwareHttp.Fields.MinimumCurrentVersion, run.Value(minimum));
            Field(FirmwareHttp.Fields.Notes, run.Value(notes));
            ApiAnswer<FirmwareReleaseResponse> published;
            try
            {
                published = await run.Api.UploadAsync<FirmwareReleaseResponse>(FirmwareHttp.ReleasesRoute, form, artefact.Length, cancellationToken);
            }
            finally
            {
                progress?.Finish();
            }

            return run.Write(published, release =>
            {
                run.Out.WriteLine($"Published {release.Version}");
                run.Out.WriteLine($"  id      {release.Id}");
                run.Out.WriteLine($"  size    {Show.Bytes(release.Size)}");
                run.Out.WriteLine($"  sha256  {release.Sha256}");
            });
        });
    }
}
