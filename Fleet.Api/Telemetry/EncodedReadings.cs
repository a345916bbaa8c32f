using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Fleet.Contracts;

namespace Fleet.Api.Telemetry;

/// <summary>
/// One request's readings (one device), already encoded as PostgreSQL binary COPY tuples of
/// <c>(device_id, seq, ts, metric_names, metric_values)</c>, with what the writer needs to know about them: their
/// seqs as ranges, their days and how many points they hold. The request thread does the encoding (<see cref="Builder"/>),
/// so the writer's lanes only move bytes; the buffer is pooled and goes back once the writer is done with it (<see cref="Dispose"/>).
/// </summary>
public sealed partial class EncodedReadings : IDisposable
{
    /// <summary>The binary COPY file header: signature, flags, header extension length.</summary>
    public static ReadOnlyMemory<byte> CopyHeader { get; } = new byte[] {(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0 };

    /// <summary>The binary COPY trailer: a field count of -1.</summary>
    public static ReadOnlyMemory<byte> CopyTrailer { get; } = new byte[] { 0xFF, 0xFF };

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
        var builder = new Builder(deviceId, readings.Count * 128);
        var names = new ArrayBufferWriter<byte>(256);
        var (ranges, values) = (new List<Range>(), new List<double>());
        foreach (var reading in readings)
        {
            names.ResetWrittenCount();
            ranges.Clear();
            values.Clear();
            foreach (var (name, value) in reading!.Metrics!)
            {
                var start = names.WrittenCount;
                names.Advance(Encoding.UTF8.GetBytes(name, names.GetSpan(Encoding.UTF8.GetMaxByteCount(name.Length))));
                ranges.Add(start..names.WrittenCount);
                values.Add(value);
            }

            builder.Add(reading.Seq!.Value, reading.Ts!.Value.UtcDateTime, names.WrittenSpan, CollectionsMarshal.AsSpan(ranges), CollectionsMarshal.AsSpan(values));
        }

        return builder.Build();
    }

    /// <summary>The metrics of the tuple that starts at <paramref name="offset"/>, in the order they were sent.</summary>
    public Dictionary<string, double> MetricsAt(int offset)
    {
        var tuple = Tuples.Span[(offset + Builder.FixedFieldBytes)..];
        var count = BinaryPrimitives.ReadInt32BigEndian(tuple[(4 + Builder.ArrayCountAt)..]);
        var names = tuple[(4 + Builder.ArrayHeaderBytes)..];
        var values = tuple[(4 + BinaryPrimitives.ReadInt32BigEndian(tuple) + 4 + Builder.ArrayHeaderBytes)..];
        var metrics = new Dictionary<string, double>(count);
        for (var i = 0; i < count; i++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(names);
            metrics[Encoding.UTF8.GetString(names.Slice(4, length))] = BinaryPrimitives.ReadDoubleBigEndian(values[(i * 12 + 4)..]);
            names = names[(4 + length)..];
        }

        return metrics;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Seqs as ascending runs of consecutive numbers, and whether any seq came twice.</summary>
    public static ((long First, long Last)[] Runs, bool Repeats) Runs(ReadOnlySpan<long> seqs)
    {
        var sorted = seqs.ToArray();
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
