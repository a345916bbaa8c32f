using System.ComponentModel.DataAnnotations;

namespace Fleet.Api.Firmware;

/// <summary>The <c>Fleet:Firmware</c> section.</summary>
public sealed class FirmwareOptions
{
    public const string Section = "Fleet:Firmware";

    /// <summary>Room a multipart body needs besides the artefact (boundaries, the other fields).</summary>
    public const long FormOverheadBytes = 64 * 1024;

    /// <summary>Largest artefact accepted; larger uploads get 413. PostgreSQL's bytea holds at most 1 GiB.</summary>
    [Range(1, 512L * 1024 * 1024)]
    public long MaxArtefactBytes { get; set; } = 64L * 1024 * 1024;
}
