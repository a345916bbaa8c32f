using System.Security.Cryptography;
using System.Text;

namespace Fleet.ServiceDefaults;

/// <summary>Compares a presented secret with the configured one in time that depends on neither's content nor length (hashes first).</summary>
public static class SecretComparer
{
    public static bool Matches(string? presented, string expected) =>
        presented is not null
        && CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
