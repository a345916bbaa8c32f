using System.Security.Cryptography;
using Aspire.Hosting.Publishing;

namespace Fleet.AppHost;

/// <summary>
/// Generates the api issuer's signing key on first run: an RSA key as base64 PKCS#8 DER on one line (the form the api
/// reads besides PEM). Persisted like the other secrets, so every api replica and every later run signs with one key
/// and sign-ins survive a restart.
/// </summary>
internal sealed class IssuerKeyDefault : ParameterDefault
{
    public const int Bits = 3072;

    public override string GetDefaultValue()
    {
        using var rsa = RSA.Create(Bits);
        return Convert.ToBase64String(rsa.ExportPkcs8PrivateKey());
    }

    /// <summary>Not for deployments: Aspire's manifest can only ask them to generate random characters, not a key.</summary>
    public override void WriteToManifest(ManifestPublishingContext context) =>
        throw new InvalidOperationException("The issuer's signing key is generated when the AppHost runs; a deployment supplies its own.");
}
