namespace Fleet.Contracts;

/// <summary>Routes, form fields and headers of the firmware endpoints.</summary>
public static class FirmwareHttp
{
    public const string ReleasesRoute = "/api/v1/firmware";

    /// <summary>Device download: <c>GET /api/v1/device/firmware/{releaseId}</c>, with Range, ETag and <see cref="Sha256Header"/>.</summary>
    public const string DownloadRoute = "/api/v1/device/firmware";

    /// <summary>Lower-case hex SHA-256 of the whole artefact, on every download response.</summary>
    public const string Sha256Header = "X-Firmware-Sha256";

    /// <summary>Multipart field names of <c>POST /api/v1/firmware</c>; list fields repeat or hold comma-separated values.</summary>
    public static class Fields
    {
        public const string File = "file";
        public const string Version = "version";
        public const string DeviceTypes = "deviceTypes";
        public const string HardwareRevisions = "hardwareRevisions";
        public const string MinimumCurrentVersion = "minimumCurrentVersion";
        public const string Notes = "notes";
    }

    public static string Download(Guid releaseId) => $"{DownloadRoute}/{releaseId}";
}

/// <summary>
/// A published firmware release. <c>HardwareRevisions</c> empty means every revision of the compatible types;
/// <c>MinimumCurrentVersion</c> null means a device on any version may take it.
/// </summary>
public sealed record FirmwareReleaseResponse(
    Guid Id,
    string Version,
    IReadOnlyList<string> DeviceTypes,
    IReadOnlyList<string> HardwareRevisions,
    string? MinimumCurrentVersion,
    string? Notes,
    string Sha256,
    long Size,
    DateTimeOffset CreatedAt);

/// <summary>Body of <c>GET /api/v1/firmware</c>.</summary>
public sealed record FirmwareListResponse(IReadOnlyList<FirmwareReleaseResponse> Items, int Total);
