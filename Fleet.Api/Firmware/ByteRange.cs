using System.Globalization;

namespace Fleet.Api.Firmware;

/// <summary>What a Range header asks of a resource of a given length (RFC 9110 §14).</summary>
public abstract record RangeRequest
{
    /// <summary>No usable Range: serve everything with 200 (also for malformed or multi-range headers, which a server may ignore).</summary>
    public sealed record Whole : RangeRequest;

    /// <summary>Bytes <c>From</c>..<c>To</c> inclusive: 206.</summary>
    public sealed record Part(long From, long To) : RangeRequest
    {
        public long Length => To - From + 1;
    }

    /// <summary>A valid range that selects nothing of this resource: 416.</summary>
    public sealed record Unsatisfiable : RangeRequest;
}

public static class ByteRange
{
    /// <summary>Parses one <c>bytes=</c> range against <paramref name="length"/> bytes.</summary>
    public static RangeRequest Parse(string? header, long length)
    {
        const string unit = "bytes=";
        if (string.IsNullOrWhiteSpace(header) || !header.StartsWith(unit, StringComparison.OrdinalIgnoreCase))
        {
            return new RangeRequest.Whole();
        }

        var spec = header[unit.Length..].Trim();
        if (spec.Contains(',', StringComparison.Ordinal))
        {
            return new RangeRequest.Whole();
        }

        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return new RangeRequest.Whole();
        }

        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            // Suffix range: the last N bytes.
            if (!TryNumber(last, out var suffix))
            {
                return new RangeRequest.Whole();
            }

            return suffix == 0 || length == 0
                ? new RangeRequest.Unsatisfiable()
                : new RangeRequest.Part(Math.Max(0, length - suffix), length - 1);
        }

        if (!TryNumber(first, out var from))
        {
            return new RangeRequest.Whole();
        }

        long to;
        if (last.Length == 0)
        {
            to = length - 1;
        }
        else if (!TryNumber(last, out to) || to < from)
        {
            return new RangeRequest.Whole();
        }

        return from >= length ? new RangeRequest.Unsatisfiable() : new RangeRequest.Part(from, Math.Min(to, length - 1));
    }

    private static bool TryNumber(string text, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
