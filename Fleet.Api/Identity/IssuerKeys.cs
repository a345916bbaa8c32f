using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Fleet.Api.Identity;

/// <summary>
/// The issuer's keys from one secret: the RSA key signs identity and access tokens (every replica the same, so any
/// replica validates what another issued); an AES key derived from it encrypts authorization codes and refresh tokens.
/// The secret is a PKCS#8 private key, either PEM or its DER bytes in base64 on one line (what fits an env file or a
/// Kubernetes secret; the AppHost generates that form).
/// </summary>
public static class IssuerKeys
{
    public const int MinimumBits = 2048;

    public static RsaSecurityKey SigningKey(string secret)
    {
        var rsa = Read(secret);
        var keyId = Convert.ToHexString(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()))[..16];
        return new RsaSecurityKey(rsa) { KeyId = keyId };
    }

    /// <summary>Derived from the key itself, not its text, so the PEM and the base64 form of one key give the same AES key.</summary>
    public static SymmetricSecurityKey EncryptionKey(string secret)
    {
        using var rsa = Read(secret);
        return new(HKDF.DeriveKey(HashAlgorithmName.SHA256, rsa.ExportPkcs8PrivateKey(), 32, salt: [], info: "fleet-issuer-encryption"u8.ToArray()));
    }

    /// <summary>A new key in PEM (tests use it; the AppHost writes the base64 form).</summary>
    public static string NewPem()
    {
        using var rsa = RSA.Create(MinimumBits);
        return rsa.ExportPkcs8PrivateKeyPem();
    }

    public static bool TryRead(string secret)
    {
        try
        {
            using var rsa = Read(secret);
            return rsa.KeySize >= MinimumBits;
        }
        catch (Exception exception) when (exception is ArgumentException or CryptographicException or FormatException)
        {
            return false;
        }
    }

    private static RSA Read(string secret)
    {
        var rsa = RSA.Create();
        try
        {
            if (secret.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                rsa.ImportFromPem(secret);
            }
            else
            {
                rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(secret.Trim()), out _);
            }

            return rsa;
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }
}
