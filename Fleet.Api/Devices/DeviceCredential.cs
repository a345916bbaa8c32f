using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Fleet.Api.Devices;

/// <summary>A device's key, stored only as its SHA-256 hash.</summary>
public sealed class DeviceCredential
{
    public Guid DeviceId { get; set; }

    public required byte[] KeyHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class DeviceCredentialConfiguration : IEntityTypeConfiguration<DeviceCredential>
{
    public void Configure(EntityTypeBuilder<DeviceCredential> credential)
    {
        credential.ToTable("device_credentials");
        credential.HasKey(c => c.DeviceId);
        credential.HasIndex(c => c.KeyHash).IsUnique();
        credential.HasOne<Device>().WithOne().HasForeignKey<DeviceCredential>(c => c.DeviceId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>
/// Device keys are 256 random bits, so a single SHA-256 is a sound way to store them (unlike passwords,
/// they cannot be guessed from a dictionary) and lets the API find a device by the hash of its key. Looking up
/// by hash leaks no timing about the key: a caller cannot choose the bytes of the hash being compared.
/// </summary>
public sealed class DeviceKeyHasher
{
    public (string Key, byte[] Hash) NewKey()
    {
        var key = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (key, Hash(key));
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
