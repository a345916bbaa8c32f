using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Fleet.Contracts;

namespace Fleet.Api.Telemetry;

/// <summary>
/// One request's readings (one device), already encoded as PostgreSQL binary COPY tuples of
/// <c>(device_id, seq, ts, metric_names, metric_values)</c>, with what the writer needs to know about them: their
/// seqs as ranges, their days and how many points they hold. The request thread does the encoding, so the writer's
/// lanes only move bytes; the buffer is pooled and goes back once the writer is done with it (<see cref="Dispose"/>).
/// </summary>
public sealed class EncodedReadings : IDisposable
{
    /// <summary>The binary COPY file header: signature, flags, header extension length.</summary>
    public static ReadOnlyMemory<byte> CopyHeader { get; } = new byte[] {(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0 };

    /// <summary>The binary COPY trailer: a field count of -1.</summary>
    public static ReadOnlyMemory<byte> CopyTrailer { get; } = new byte[] { 0xFF, 0xFF };

    private const short Columns = 5;
    private const int TextOid = 25;
    private const int Float8Oid = 701;
    private const int ArrayHeaderBytes = 20; // dimensions, has-nulls flag, element type, length, lower bound

    // PostgreSQL timestamps count microseconds from 2000-01-01 UTC.
    private static readonly long PostgresEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    private byte[]? _buffer;

    private EncodedReadings(Guid deviceId, byte[] buffer, int length, int readings, int points, (long First, long Last)[] seqRanges, bool repeatsSeq, DateOnly[] days)
    {
        DeviceId = deviceId;
        _buffer = buffer;
        Length = length;
        Readings = readings;
        Points = points;
        SeqRanges = seqRanges;
        RepeatsSeq = repeatsSeq;
        Days = days;
    }

    public Guid DeviceId { get; }

    /// <summary>The encoded tuples (no COPY header or trailer).</summary>
    public ReadOnlyMemory<byte> Tuples => (_buffer ?? throw new ObjectDisposedException(nameof(EncodedReadings))).AsMemory(0, Length);

    public int Length { get; }

    public int Readings { get; }

    public int Points { get; }

    /// <summary>The distinct seqs, ascending, as runs of consecutive numbers (a device counting up sends one run).</summary>
    public (long First, long Last)[] SeqRanges { get; }

    /// <summary>Some seq comes more than once in this request.</summary>
    public bool RepeatsSeq { get; }

    /// <summary>The UTC days the readings fall on (the partitions they go to).</summary>
    public DateOnly[] Days { get; }

    /// <summary>Encodes validated readings: each has a seq, a ts and at least one metric.</summary>
    public static EncodedReadings Encode(Guid deviceId, IReadOnlyList<TelemetryReading?> readings)
    {
        var size = 0;
        var points = 0;
        foreach (var reading in readings)
        {
            var metrics = reading!.Metrics!;
            size += TupleBytes(metrics);
            points += metrics.Count;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(size);
        var span = buffer.AsSpan();
        var offset = 0;
        var seqs = new long[readings.Count];
        var days = new List<DateOnly>(1);
        for (var i = 0; i < readings.Count; i++)
        {
            var reading = readings[i]!;
            var ts = reading.Ts!.Value.UtcDateTime;
            seqs[i] = reading.Seq!.Value;
            var day = DateOnly.FromDateTime(ts);
            if (!days.Contains(day))
            {
                days.Add(day);
            }

            offset += WriteTuple(span[offset..], deviceId, seqs[i], ts, reading.Metrics!);
        }

        var (ranges, repeats) = Runs(seqs);
        return new EncodedReadings(deviceId, buffer, offset, readings.Count, points, ranges, repeats, [.. days]);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int TupleBytes(IReadOnlyDictionary<string, double> metrics)
    {
        var names = 0;
        foreach (var name in metrics.Keys)
        {
            names += 4 + Encoding.UTF8.GetByteCount(name);
        }

        return 2 + (4 + 16) + (4 + 8) + (4 + 8)
            + 4 + ArrayHeaderBytes + names
            + 4 + ArrayHeaderBytes + metrics.Count * (4 + 8);
    }

    private static int WriteTuple(Span<byte> span, Guid deviceId, long seq, DateTime ts, IReadOnlyDictionary<string, double> metrics)
    {
        BinaryPrimitives.WriteInt16BigEndian(span, Columns);
        var at = 2;
        at += WriteLength(span[at..], 16);
        deviceId.TryWriteBytes(span[at..], bigEndian: true, out _);
        at += 16;
        at += WriteLength(span[at..], 8);
        BinaryPrimitives.WriteInt64BigEndian(span[at..], seq);
        at += 8;
        at += WriteLength(span[at..], 8);
        BinaryPrimitives.WriteInt64BigEndian(span[at..], (ts.Ticks - PostgresEpochTicks) / TimeSpan.TicksPerMicrosecond);
        at += 8;

        // metric_names text[]: the field length is known only once the names are written.
        var namesField = at;
        at += 4;
        at += WriteArrayHeader(span[at..], TextOid, metrics.Count);
        foreach (var name in metrics.Keys)
        {
            var written = Encoding.UTF8.GetBytes(name, span[(at + 4)..]);
            at += WriteLength(span[at..], written) + written;
        }

        WriteLength(span[namesField..], at - namesField - 4);

        at += WriteLength(span[at..], ArrayHeaderBytes + metrics.Count * (4 + 8));
        at += WriteArrayHeader(span[at..], Float8Oid, metrics.Count);
        foreach (var value in metrics.Values)
        {
            at += WriteLength(span[at..], 8);
            BinaryPrimitives.WriteDoubleBigEndian(span[at..], value);
            at += 8;
        }

        return at;
    }

    private static int WriteArrayHeader(Span<byte> span, int elementOid, int count)
    {
        BinaryPrimitives.WriteInt32BigEndian(span, 1); // one dimension
        BinaryPrimitives.WriteInt32BigEndian(span[4..], 0); // no nulls
        BinaryPrimitives.WriteInt32BigEndian(span[8..], elementOid);
        BinaryPrimitives.WriteInt32BigEndian(span[12..], count);
        BinaryPrimitives.WriteInt32BigEndian(span[16..], 1); // lower bound
        return ArrayHeaderBytes;
    }

    private static int WriteLength(Span<byte> span, int length)
    {
        BinaryPrimitives.WriteInt32BigEndian(span, length);
        return 4;
    }

    /// <summary>Seqs as ascending runs of consecutive numbers, and whether any seq came twice.</summary>
    public static ((long First, long Last)[] Runs, bool Repeats) Runs(long[] seqs)
    {
        var sorted = (long[])seqs.Clone();
        Array.Sort(sorted);
        var runs = new List<(long First, long Last)>(1);
        var repeats = false;
        for (var i = 0; i < sorted.Length; i++)
        {
            // Seqs are not negative, so sorted[i] - 1 cannot overflow (where Last + 1 could).
            if (runs.Count > 0 && sorted[i] - 1 <= runs[^1].Last)
            {
                repeats |= sorted[i] <= runs[^1].Last;
                runs[^1] = (runs[^1].First, Math.Max(runs[^1].Last, sorted[i]));
            }
            else
            {
                runs.Add((sorted[i], sorted[i]));
            }
        }

        return ([.. runs], repeats);
    }
}
