using System.Security.Cryptography;
using Fleet.Api.Identity;

namespace Fleet.Tests.Identity;

public sealed class IssuerKeysTests
{
    [Fact]
    public void The_pem_and_the_one_line_base64_form_of_a_key_sign_and_encrypt_alike()
    {
        using var rsa = RSA.Create(IssuerKeys.MinimumBits);
        var pem = rsa.ExportPkcs8PrivateKeyPem();
        var base64 = Convert.ToBase64String(rsa.ExportPkcs8PrivateKey());

        IssuerKeys.TryRead(pem).ShouldBeTrue();
        IssuerKeys.TryRead(base64).ShouldBeTrue();
        IssuerKeys.SigningKey(base64).KeyId.ShouldBe(IssuerKeys.SigningKey(pem).KeyId);
        IssuerKeys.EncryptionKey(base64).Key.ShouldBe(IssuerKeys.EncryptionKey(pem).Key);
        IssuerKeys.EncryptionKey(IssuerKeys.NewPem()).Key.ShouldNotBe(IssuerKeys.EncryptionKey(pem).Key);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a key")]
    [InlineData("c2VjcmV0LXRoYXQtaXMtbm90LWEta2V5")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")]
    public void What_is_not_an_rsa_private_key_is_refused(string secret) => IssuerKeys.TryRead(secret).ShouldBeFalse();

    [Fact]
    public void A_key_under_2048_bits_is_refused()
    {
        using var rsa = RSA.Create(1024);
        IssuerKeys.TryRead(Convert.ToBase64String(rsa.ExportPkcs8PrivateKey())).ShouldBeFalse();
    }
}
