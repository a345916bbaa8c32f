using System.Buffers;

namespace Fleet.DeviceSim.Channels;

/// <summary>Buffers rented from <see cref="ArrayPool{T}.Shared"/> that grow while a message or an answer is read into them.</summary>
internal static class PooledBuffer
{
    /// <summary>A rented buffer of at least <paramref name="size"/> bytes holding the first <paramref name="used"/> bytes of <paramref name="buffer"/>, which goes back to the pool.</summary>
    public static byte[] Grow(byte[] buffer, int used, int size)
    {
        var larger = ArrayPool<byte>.Shared.Rent(size);
        buffer.AsSpan(0, used).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }
}
