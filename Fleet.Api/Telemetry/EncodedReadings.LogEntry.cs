using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Fleet.Api.Telemetry;

public sealed partial class EncodedReadings
{
    // The first byte of a log entry; an entry of another format is refused, not misread.
    private const byte LogEntryFormat = 0xF1;

    /// <summary>The most bytes <see cref="WriteLogEntry"/> writes: a log entry is never longer than the tuples plus a header.</summary>
    public int MaxLogEntryLength => Length + 16;

    /// <summary>
    /// Writes the readings as a telemetry log entry (<see cref="TelemetryLog"/>), about a third of the tuples' size, so
    /// Redis takes, keeps and writes to its append-only file that much less. The device is not in it (the log keeps it
    /// beside the entry). The format:
    /// <code>
    /// entry   = 0xF1, count, reading*count
    /// reading = seq - previous seq, ts - previous ts (µs since 2000-01-01; both zigzag), metrics, metric*metrics
    /// metric  = name index, [name length, name when the index is the next new one], value (8 bytes, little-endian)
    /// </code>
    /// where every number but a value is a LEB128 varint and a name's index counts the distinct names in the order the
    /// entry first uses them. Returns the length written.
    /// </summary>
    public int WriteLogEntry(Span<byte> destination)
    {
        var writer = new EntryWriter(destination);
        writer.Byte(LogEntryFormat);
        writer.Varint((ulong)Readings);

        // Readings of one request nearly always repeat one set of names, so a name is looked for first at the index it
        // had in the reading before, at the same position; else among all of them.
        var known = new List<Range>();
        var previousIndexes = new List<int>();
        var indexes = new List<int>();
        Dictionary<string, int>? byName = null;
        var (previousSeq, previousTs) = (0L, 0L);
        var tuples = Tuples.Span;
        for (var at = 0; at < tuples.Length;)
        {
            var tuple = tuples[at..];
            var seq = BinaryPrimitives.ReadInt64BigEndian(tuple[Builder.SeqAt..]);
            var ts = BinaryPrimitives.ReadInt64BigEndian(tuple[Builder.TsAt..]);
            writer.Varint(ZigZag(unchecked(seq - previousSeq)));
            writer.Varint(ZigZag(unchecked(ts - previousTs)));
            (previousSeq, previousTs) = (seq, ts);

            var namesAt = Builder.FixedFieldBytes;
            var count = BinaryPrimitives.ReadInt32BigEndian(tuple[(namesAt + 4 + Builder.ArrayCountAt)..]);
            var valuesAt = namesAt + 4 + BinaryPrimitives.ReadInt32BigEndian(tuple[namesAt..]);
            writer.Varint((ulong)count);
            indexes.Clear();
            var name = namesAt + 4 + Builder.ArrayHeaderBytes;
            for (var i = 0; i < count; i++)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(tuple[name..]);
                var bytes = tuple.Slice(name + 4, length);
                name += 4 + length;

                var index = i < previousIndexes.Count && writer.Written[known[previousIndexes[i]]].SequenceEqual(bytes) ? previousIndexes[i] : -1;
                if (index < 0)
                {
                    byName ??= [];
                    var text = Encoding.ASCII.GetString(bytes);
                    if (!byName.TryGetValue(text, out index))
                    {
                        index = known.Count;
                        byName[text] = index;
                    }
                }

                writer.Varint((ulong)index);
                if (index == known.Count)
                {
                    writer.Varint((ulong)length);
                    known.Add(writer.Bytes(bytes));
                }

                writer.Double(BinaryPrimitives.ReadDoubleBigEndian(tuple[(valuesAt + 4 + Builder.ArrayHeaderBytes + (i * 12) + 4)..]));
                indexes.Add(index);
            }

            (previousIndexes, indexes) = (indexes, previousIndexes);
            at += valuesAt + 4 + BinaryPrimitives.ReadInt32BigEndian(tuple[valuesAt..]);
        }

        return writer.Position;
    }

    /// <summary>
    /// The readings of a log entry <see cref="WriteLogEntry"/> wrote, encoded as tuples of <paramref name="deviceId"/>
    /// again; null when <paramref name="entry"/> is not such an entry, or is cut.
    /// </summary>
    public static EncodedReadings? FromLogEntry(Guid deviceId, ReadOnlySpan<byte> entry)
    {
        var reader = new EntryReader(entry);
        var format = reader.Byte();
        var readings = (int)Math.Min(reader.Varint(), int.MaxValue);
        if (format != LogEntryFormat || readings == 0)
        {
            return null;
        }

        // Abandoning after Build does nothing; before it, it gives the pooled buffer back.
        var builder = new Builder(deviceId, Math.Min(readings, 1000) * 128);
        try
        {
            var (known, names, values) = (new List<Range>(), new List<Range>(), new List<double>());
            var (seq, ts) = (0L, 0L);
            for (var r = 0; r < readings; r++)
            {
                seq = unchecked(seq + UnZigZag(reader.Varint()));
                ts = unchecked(ts + UnZigZag(reader.Varint()));
                var count = reader.Varint();
                if (seq < 0 || Builder.FromPostgresTimestamp(ts) is not { } utcTs || count is 0 or > ushort.MaxValue)
                {
                    return null;
                }

                names.Clear();
                values.Clear();
                for (var i = 0UL; i < count && reader.Valid; i++)
                {
                    var index = reader.Varint();
                    if (index == (ulong)known.Count && reader.Varint() is > 0 and <= TelemetryValidation.MaxMetricNameLength and var length)
                    {
                        known.Add(reader.Bytes((int)length));
                    }

                    names.Add(index < (ulong)known.Count ? known[(int)index] : default);
                    values.Add(reader.Double());
                    reader.Valid &= index < (ulong)known.Count;
                }

                if (!reader.Valid)
                {
                    return null;
                }

                builder.Add(seq, utcTs, entry, CollectionsMarshal.AsSpan(names), CollectionsMarshal.AsSpan(values));
            }

            return reader.AtEnd ? builder.Build() : null;
        }
        finally
        {
            builder.Abandon();
        }
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    private ref struct EntryWriter(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Position { get; private set; }

        public readonly ReadOnlySpan<byte> Written => _destination[..Position];

        public void Byte(byte value) => _destination[Position++] = value;

        public void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _destination[Position++] = (byte)(value | 0x80);
                value >>= 7;
            }

            _destination[Position++] = (byte)value;
        }

        public void Double(double value)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(_destination[Position..], value);
            Position += 8;
        }

        /// <summary>Copies <paramref name="bytes"/> and returns where they are.</summary>
        public Range Bytes(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_destination[Position..]);
            Position += bytes.Length;
            return (Position - bytes.Length)..Position;
        }
    }

    /// <summary>Reads an entry; once it runs past the end (or a caller finds a bad value) <see cref="Valid"/> stays false and reads give zeros.</summary>
    private ref struct EntryReader(ReadOnlySpan<byte> entry)
    {
        private readonly ReadOnlySpan<byte> _entry = entry;
        private int _position;

        public bool Valid { get; set; } = true;

        public readonly bool AtEnd => Valid && _position == _entry.Length;

        public byte Byte()
        {
            if (!Valid || _position >= _entry.Length)
            {
                Valid = false;
                return 0;
            }

            return _entry[_position++];
        }

        public ulong Varint()
        {
            var value = 0UL;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var next = Byte();
                value |= (ulong)(next & 0x7F) << shift;
                if (next < 0x80)
                {
                    return value;
                }
            }

            Valid = false;
            return 0;
        }

        public double Double()
        {
            if (!Valid || _position + 8 > _entry.Length)
            {
                Valid = false;
                return 0;
            }

            _position += 8;
            return BinaryPrimitives.ReadDoubleLittleEndian(_entry[(_position - 8)..]);
        }

        /// <summary>Where the next <paramref name="length"/> bytes are, and skips them.</summary>
        public Range Bytes(int length)
        {
            if (!Valid || _position + length > _entry.Length)
            {
                Valid = false;
                return default;
            }

            _position += length;
            return (_position - length).._position;
        }
    }
}
