using Fleet.Api.Devices;
using Fleet.Contracts;
using Microsoft.Extensions.Primitives;
using Fields = Fleet.Contracts.FirmwareHttp.Fields;

namespace Fleet.Api.Firmware;

/// <summary>The non-file fields of <c>POST /api/v1/firmware</c>, parsed and checked; errors are keyed by field name.</summary>
public sealed record FirmwareUpload(
    SemanticVersion Version,
    IReadOnlyList<string> DeviceTypes,
    IReadOnlyList<string> HardwareRevisions,
    SemanticVersion? MinimumCurrentVersion,
    string? Notes)
{
    public static FirmwareUpload? Parse(IFormCollection form, Dictionary<string, string[]> errors)
    {
        var versionText = Single(form, Fields.Version);
        SemanticVersion? version = null;
        if (string.IsNullOrEmpty(versionText))
        {
            errors[Fields.Version] = ["is required: a semantic version such as 2.0.1 (https://semver.org)."];
        }
        else if (!SemanticVersion.TryParse(versionText, out version))
        {
            errors[Fields.Version] = [$"'{Shorten(versionText)}' is not a semantic version 2.0.0 (MAJOR.MINOR.PATCH[-pre][+build], no leading zeros)."];
        }

        var deviceTypes = List(form, Fields.DeviceTypes, errors);
        if (deviceTypes.Count == 0 && !errors.ContainsKey(Fields.DeviceTypes))
        {
            errors[Fields.DeviceTypes] = ["name at least one compatible device type."];
        }

        var hardwareRevisions = List(form, Fields.HardwareRevisions, errors);

        var minimumText = Single(form, Fields.MinimumCurrentVersion);
        SemanticVersion? minimum = null;
        if (!string.IsNullOrEmpty(minimumText) && !SemanticVersion.TryParse(minimumText, out minimum))
        {
            errors[Fields.MinimumCurrentVersion] = [$"'{Shorten(minimumText)}' is not a semantic version 2.0.0."];
        }

        var notes = Single(form, Fields.Notes);
        if (notes is { Length: > FirmwareLimits.Notes })
        {
            errors[Fields.Notes] = [$"must be at most {FirmwareLimits.Notes} characters."];
        }
        else if (notes is not null && notes.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
        {
            errors[Fields.Notes] = ["must not hold control characters other than line breaks and tabs."];
        }

        return errors.Count == 0 && version is not null
            ? new FirmwareUpload(version, deviceTypes, hardwareRevisions, minimum, string.IsNullOrWhiteSpace(notes) ? null : notes)
            : null;
    }

    private static string? Single(IFormCollection form, string field) =>
        form.TryGetValue(field, out var values) ? values.ToString().Trim() : null;

    /// <summary>Repeated fields and comma-separated values both work: <c>deviceTypes=meter,sensor</c>.</summary>
    private static List<string> List(IFormCollection form, string field, Dictionary<string, string[]> errors)
    {
        var values = form.TryGetValue(field, out var raw) ? raw : StringValues.Empty;
        var items = values
            .SelectMany(value => (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (items.Count > FirmwareLimits.ListEntries)
        {
            errors[field] = [$"at most {FirmwareLimits.ListEntries} entries."];
        }
        else if (items.Any(item => item.Length > DeviceLimits.Attribute))
        {
            errors[field] = [$"each entry must be at most {DeviceLimits.Attribute} characters."];
        }
        else if (items.Any(item => item.Any(char.IsControl)))
        {
            errors[field] = ["entries must not hold control characters (NUL included)."];
        }

        return items;
    }

    private static string Shorten(string text) => text.Length <= SemanticVersion.MaxLength ? text : text[..SemanticVersion.MaxLength] + "…";
}
