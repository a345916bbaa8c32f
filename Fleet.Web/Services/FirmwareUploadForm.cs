using System.Text.RegularExpressions;

namespace Fleet.Web.Services;

/// <summary>The fields of the firmware upload form, checked the way the API checks them so most mistakes never leave the page.</summary>
public sealed partial class FirmwareUploadForm
{
    public const int MaxNotes = 4000;

    public string Version { get; set; } = "";

    /// <summary>Comma-separated, as the API's multipart field accepts them.</summary>
    public string DeviceTypes { get; set; } = "";

    public string HardwareRevisions { get; set; } = "";

    public string MinimumCurrentVersion { get; set; } = "";

    public string Notes { get; set; } = "";

    /// <summary>Problems keyed by the API's field names (version, deviceTypes, minimumCurrentVersion, notes, file).</summary>
    public Dictionary<string, string> Validate(long? fileSize, long maxFileBytes)
    {
        var errors = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(Version))
        {
            errors["version"] = "A version is required, e.g. 2.0.1.";
        }
        else if (!IsSemanticVersion(Version.Trim()))
        {
            errors["version"] = "Not a semantic version (MAJOR.MINOR.PATCH, e.g. 2.0.1 or 2.1.0-rc.1).";
        }

        if (Split(DeviceTypes).Count == 0)
        {
            errors["deviceTypes"] = "Name at least one compatible device type.";
        }

        if (!string.IsNullOrWhiteSpace(MinimumCurrentVersion) && !IsSemanticVersion(MinimumCurrentVersion.Trim()))
        {
            errors["minimumCurrentVersion"] = "Not a semantic version.";
        }

        if (Notes.Length > MaxNotes)
        {
            errors["notes"] = $"At most {MaxNotes} characters.";
        }

        if (fileSize is null)
        {
            errors["file"] = "Choose the firmware image to upload.";
        }
        else if (fileSize == 0)
        {
            errors["file"] = "The file is empty.";
        }
        else if (fileSize > maxFileBytes)
        {
            errors["file"] = $"The file is larger than the {maxFileBytes / (1024 * 1024)} MiB allowed.";
        }

        return errors;
    }

    public static IReadOnlyList<string> Split(string? values) =>
        [.. (values ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal)];

    public static bool IsSemanticVersion(string text) => text.Length <= 64 && SemVer().IsMatch(text);

    /// <summary>The grammar of semver.org 2.0.0 (no leading zeros, optional pre-release and build).</summary>
    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")]
    private static partial Regex SemVer();
}

/// <summary>The firmware upload form (<c>Fleet:Firmware</c>).</summary>
public sealed class FirmwareUploadOptions
{
    public const string Section = "Fleet:Firmware";

    /// <summary>Largest image the page reads from the browser; keep it at or below the API's Fleet:Firmware:MaxArtefactBytes (64 MiB).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 1L << 30)]
    public long MaxFileBytes { get; set; } = 64L * 1024 * 1024;

}
