using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Api.Firmware;

/// <summary>A published firmware release; its bytes live in <see cref="FirmwareArtefact"/>, a table of their own.</summary>
public sealed class FirmwareRelease
{
    public Guid Id { get; set; }

    /// <summary>The semantic version as published; unique.</summary>
    public required string Version { get; set; }

    // The numeric parts, so lists can sort by version in PostgreSQL.
    public int VersionMajor { get; set; }

    public int VersionMinor { get; set; }

    public int VersionPatch { get; set; }

    public string? VersionPrerelease { get; set; }

    public List<string> DeviceTypes { get; set; } = [];

    /// <summary>Empty: every hardware revision of the compatible types.</summary>
    public List<string> HardwareRevisions { get; set; } = [];

    public string? MinimumCurrentVersion { get; set; }

    public string? Notes { get; set; }

    /// <summary>Lower-case hex SHA-256 of the artefact, computed by the server.</summary>
    public required string Sha256 { get; set; }

    public long Size { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// The artefact bytes, as bytea in PostgreSQL so that every API replica can serve every release without a
/// shared file system. Storage is EXTERNAL (out of line, uncompressed), so a Range request reads only the
/// TOAST chunks it needs (see the AddFirmwareReleases migration).
/// </summary>
public sealed class FirmwareArtefact
{
    public Guid ReleaseId { get; set; }

    public required byte[] Content { get; set; }
}

/// <summary>Length limits shared by validation and the schema.</summary>
public static class FirmwareLimits
{
    public const int Notes = 4000;
    public const int ListEntries = 32;
}

internal sealed class FirmwareReleaseConfiguration : IEntityTypeConfiguration<FirmwareRelease>
{
    public void Configure(EntityTypeBuilder<FirmwareRelease> release)
    {
        release.ToTable("firmware_releases");
        release.HasKey(r => r.Id);
        release.Property(r => r.Version).HasMaxLength(SemanticVersion.MaxLength);
        release.HasIndex(r => r.Version).IsUnique();
        release.Property(r => r.VersionPrerelease).HasMaxLength(SemanticVersion.MaxLength);
        release.Property(r => r.MinimumCurrentVersion).HasMaxLength(SemanticVersion.MaxLength);
        release.Property(r => r.Notes).HasMaxLength(FirmwareLimits.Notes);
        release.Property(r => r.Sha256).HasMaxLength(64).IsFixedLength();
        release.HasIndex(r => r.CreatedAt);
        release.HasOne<FirmwareArtefact>().WithOne().HasForeignKey<FirmwareArtefact>(a => a.ReleaseId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class FirmwareArtefactConfiguration : IEntityTypeConfiguration<FirmwareArtefact>
{
    public void Configure(EntityTypeBuilder<FirmwareArtefact> artefact)
    {
        artefact.ToTable("firmware_artefacts");
        artefact.HasKey(a => a.ReleaseId);
    }
}
