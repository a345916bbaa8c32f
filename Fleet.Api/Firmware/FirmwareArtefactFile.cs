using System.Security.Cryptography;

namespace Fleet.Api.Firmware;

/// <summary>An uploaded artefact in a temporary file (deleted when disposed), with its SHA-256 and length.</summary>
public sealed class FirmwareArtefactFile : IAsyncDisposable
{
    private FirmwareArtefactFile(FileStream file) => File = file;

    public FileStream File { get; }

    public string Sha256 { get; private set; } = "";

    public long Length { get; private set; }

    public bool TooLarge { get; private set; }

    /// <summary>Copies <paramref name="source"/> to a new temporary file, hashing as it goes; stops past <paramref name="maxLength"/>.</summary>
    public static async Task<FirmwareArtefactFile> WriteAsync(Stream source, long maxLength, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fleet-firmware-{Guid.NewGuid():N}.upload");
        var file = new FirmwareArtefactFile(new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 4096,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose));
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[81_920];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                file.Length += read;
                if (file.Length > maxLength)
                {
                    file.TooLarge = true;
                    return file;
                }

                hash.AppendData(buffer, 0, read);
                await file.File.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            await file.File.FlushAsync(cancellationToken);
            file.File.Position = 0;
            file.Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            return file;
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => File.DisposeAsync();
}
