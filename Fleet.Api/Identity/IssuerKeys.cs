using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Fleet.Api.Identity;

/// <summary>
/// The issuer's keys from one secret: the RSA key signs identity and access tokens (every replica the same, so any
/// replica validates what another issued); an AES key derived from it encrypts authorization codes and refresh tokens.
/// </summary>
public static class IssuerKeys
{
    public static RsaSecurityKey SigningKey(string pem)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        var keyId = Convert.ToHexString(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()))[..16];
        return new RsaSecurityKey(rsa) { KeyId = keyId };
    }

    public static SymmetricSecurityKey EncryptionKey(string pem) =>
        new(HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(pem), 32, salt: [], info: "fleet-issuer-encryption"u8.ToArray()));

    /// <summary>A new key in PEM, as the AppHost's parameter generates it.</summary>
    public static string NewPem()
    {
        using var rsa = RSA.Create(2048);
        return rsa.ExportPkcs8PrivateKeyPem();
    }

    public static bool TryRead(string pem)
    {
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return rsa.KeySize >= 2048;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
