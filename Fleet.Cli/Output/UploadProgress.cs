using System.Globalization;

namespace Fleet.Cli.Output;

/// <summary>A bar redrawn in place on one line while a file uploads; only for a terminal, never for scripts.</summary>
public sealed class UploadProgress(TextWriter output, long total)
{
    private const int Width = 30;
    private int _shownPercent = -1;

    public void Report(long sent)
    {
        var percent = total <= 0 ? 100 : (int)Math.Min(100, sent * 100 / total);
        if (percent == _shownPercent)
        {
            return;
        }

        _shownPercent = percent;
        var filled = percent * Width / 100;
        output.Write(string.Create(CultureInfo.InvariantCulture,
            $"\rUploading [{new string('#', filled)}{new string('.', Width - filled)}] {percent,3}%  {Show.Bytes(Math.Min(sent, total))} of {Show.Bytes(total)}"));
        output.Flush();
    }

    /// <summary>Ends the bar's line, so what follows starts on a line of its own.</summary>
    public void Finish()
    {
        if (_shownPercent >= 0)
        {
            output.WriteLine();
        }
    }
}

/// <summary>A read-only view of a stream that tells how many bytes have been read so far.</summary>
public sealed class ProgressStream(Stream inner, Action<long> progressed) : Stream
{
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Counted(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadAsync(buffer, cancellationToken));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Counted(int read)
    {
        _read += read;
        progressed(_read);
        return read;
    }
}
