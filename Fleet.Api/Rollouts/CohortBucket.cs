using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Fleet.Api.Rollouts;

/// <summary>
/// Deterministic cohorts (ARCHITECTURE.md): a device's bucket in a rollout is SHA-256(device id ‖ rollout id)
/// reduced to 0..9999; a phase at p% holds the buckets below p·100. The same device and rollout always give the
/// same bucket on every replica and after restarts, and raising p only adds buckets, so it never drops a device.
/// </summary>
public static class CohortBucket
{
    public const int Count = 10_000;

    public static int Of(Guid deviceId, Guid rolloutId)
    {
        Span<byte> input = stackalloc byte[32];
        deviceId.TryWriteBytes(input[..16], bigEndian: true, out _);
        rolloutId.TryWriteBytes(input[16..], bigEndian: true, out _);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % Count);
    }

    /// <summary>The first bucket a phase at <paramref name="percent"/> does not hold (0.01% resolution).</summary>
    public static int Limit(double percent) => Math.Clamp((int)Math.Round(percent * 100, MidpointRounding.AwayFromZero), 0, Count);

    public static bool Holds(double percent, int bucket) => bucket < Limit(percent);
}
