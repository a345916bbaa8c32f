using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Fleet.Api.Telemetry;

public sealed partial class EncodedReadings
{
    /// <summary>
    /// Writes one device's readings as COPY tuples, one at a time, into a pooled buffer that grows as needed; both the
    /// body reader's fast path and <see cref="Encode"/> go through it, so a reading is stored the same either way.
    /// </summary>
    public sealed class Builder(Guid deviceId, int initialBytes)
    {
        /// <summary>Field count, then device_id, seq and ts with their lengths.</summary>
        internal const int FixedFieldBytes = 2 + (4 + 16) + (4 + 8) + (4 + 8);

        internal const int ArrayHeaderBytes = 20; // dimensions, has-nulls flag, element type, length, lower bound

        // Where a tuple's device_id, seq and ts values start (each after its 4-byte length), and where an array's
        // element count sits in its header; WriteLogEntry and MetricsAt read what Add writes there.
        internal const int DeviceAt = 6;
        internal const int SeqAt = 26;
        internal const int TsAt = 38;
        internal const int ArrayCountAt = 12;

        internal const short Columns = 5;
        private const int TextOid = 25;
        private const int Float8Oid = 701;

        // PostgreSQL timestamps count microseconds from 2000-01-01 UTC.
        private static readonly long PostgresEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

        /// <summary>A timestamp as COPY carries it; null when it is outside what <see cref="DateTime"/> holds.</summary>
        internal static DateTime? FromPostgresTimestamp(long microseconds) =>
            microseconds is > (long.MinValue / TimeSpan.TicksPerMicrosecond) and < (long.MaxValue / TimeSpan.TicksPerMicrosecond)
            && PostgresEpochTicks + (microseconds * TimeSpan.TicksPerMicrosecond) is var ticks && ticks >= DateTime.MinValue.Ticks && ticks <= DateTime.MaxValue.Ticks
                ? new DateTime(ticks, DateTimeKind.Utc)
                : null;

        private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialBytes, 256));
        private int _length;
        private int _points;
        private readonly List<long> _seqs = new(64);
        private readonly List<DateOnly> _days = new(1);

        public int Readings => _seqs.Count;

        /// <summary>
        /// Adds one reading whose metric names are the <paramref name="names"/> slices of <paramref name="text"/> (UTF-8),
        /// with their <paramref name="values"/>; returns where its tuple starts.
        /// </summary>
        public int Add(long seq, DateTime utcTs, ReadOnlySpan<byte> text, ReadOnlySpan<Range> names, ReadOnlySpan<double> values)
        {
            var namesBytes = 0;
            foreach (var name in names)
            {
                namesBytes += 4 + text[name].Length;
            }

            var size = FixedFieldBytes + 4 + ArrayHeaderBytes + namesBytes + 4 + ArrayHeaderBytes + (values.Length * 12);
            var span = Reserve(size);
            BinaryPrimitives.WriteInt16BigEndian(span, Columns);
            BinaryPrimitives.WriteInt32BigEndian(span[(DeviceAt - 4)..], 16);
            deviceId.TryWriteBytes(span[DeviceAt..], bigEndian: true, out _);
            BinaryPrimitives.WriteInt32BigEndian(span[(SeqAt - 4)..], 8);
            BinaryPrimitives.WriteInt64BigEndian(span[SeqAt..], seq);
            BinaryPrimitives.WriteInt32BigEndian(span[(TsAt - 4)..], 8);
            BinaryPrimitives.WriteInt64BigEndian(span[TsAt..], (utcTs.Ticks - PostgresEpochTicks) / TimeSpan.TicksPerMicrosecond);

            var at = FixedFieldBytes;
            BinaryPrimitives.WriteInt32BigEndian(span[at..], ArrayHeaderBytes + namesBytes);
            at += 4 + WriteArrayHeader(span[(at + 4)..], TextOid, names.Length);
            foreach (var name in names)
            {
                var bytes = text[name];
                BinaryPrimitives.WriteInt32BigEndian(span[at..], bytes.Length);
                bytes.CopyTo(span[(at + 4)..]);
                at += 4 + bytes.Length;
            }

            BinaryPrimitives.WriteInt32BigEndian(span[at..], ArrayHeaderBytes + (values.Length * 12));
            at += 4 + WriteArrayHeader(span[(at + 4)..], Float8Oid, values.Length);
            foreach (var value in values)
            {
                BinaryPrimitives.WriteInt32BigEndian(span[at..], 8);
                BinaryPrimitives.WriteDoubleBigEndian(span[(at + 4)..], value);
                at += 12;
            }

            var offset = _length;
            _length += size;
            _points += values.Length;
            _seqs.Add(seq);
            var day = DateOnly.FromDateTime(utcTs);
            if (!_days.Contains(day))
            {
                _days.Add(day);
            }

            return offset;
        }

        /// <summary>The readings added so far; the buffer passes to them.</summary>
        public EncodedReadings Build()
        {
            var buffer = _buffer ?? throw new ObjectDisposedException(nameof(Builder));
            _buffer = null;
            var (ranges, repeats) = Runs(CollectionsMarshal.AsSpan(_seqs));
            return new EncodedReadings(deviceId, buffer, _length, _seqs.Count, _points, ranges, repeats, [.. _days]);
        }

        /// <summary>Gives the buffer back without building (the body was refused).</summary>
        public void Abandon()
        {
            if (_buffer is { } buffer)
            {
                _buffer = null;
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private Span<byte> Reserve(int size)
        {
            var buffer = _buffer ?? throw new ObjectDisposedException(nameof(Builder));
            if (_length + size > buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, _length + size));
                buffer.AsSpan(0, _length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                _buffer = buffer = larger;
            }

            return buffer.AsSpan(_length, size);
        }

        private static int WriteArrayHeader(Span<byte> span, int elementOid, int count)
        {
            BinaryPrimitives.WriteInt32BigEndian(span, 1); // one dimension
            BinaryPrimitives.WriteInt32BigEndian(span[4..], 0); // no nulls
            BinaryPrimitives.WriteInt32BigEndian(span[8..], elementOid);
            BinaryPrimitives.WriteInt32BigEndian(span[ArrayCountAt..], count);
            BinaryPrimitives.WriteInt32BigEndian(span[16..], 1); // lower bound
            return ArrayHeaderBytes;
        }
    }
}
