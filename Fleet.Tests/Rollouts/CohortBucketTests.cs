using Fleet.Api.Rollouts;

namespace Fleet.Tests.Rollouts;

public sealed class CohortBucketTests
{
    private static readonly Guid Rollout = Guid.Parse("0195a3c4-1111-7000-8000-000000000001");

    [Fact]
    public void A_bucket_depends_only_on_device_and_rollout()
    {
        var device = Guid.Parse("0195a3c4-2222-7000-8000-000000000002");

        CohortBucket.Of(device, Rollout).ShouldBe(CohortBucket.Of(Guid.Parse(device.ToString()), Guid.Parse(Rollout.ToString())));
        // Pinned: every replica, release and language that computes buckets must agree (SHA-256 of both ids, big-endian).
        CohortBucket.Of(device, Rollout).ShouldBe(GoldenBucket(device, Rollout));
        CohortBucket.Of(device, Rollout).ShouldBe(2480);
    }

    [Fact]
    public void Buckets_spread_evenly_over_0_to_9999_and_differ_between_rollouts()
    {
        var devices = Enumerable.Range(0, 20_000).Select(_ => Guid.NewGuid()).ToList();
        var buckets = devices.Select(d => CohortBucket.Of(d, Rollout)).ToList();

        buckets.ShouldAllBe(b => b >= 0 && b < CohortBucket.Count);
        foreach (var percent in new[] { 1.0, 10, 50 })
        {
            var share = buckets.Count(b => CohortBucket.Holds(percent, b)) / (double)devices.Count;
            share.ShouldBe(percent / 100, tolerance: 0.01 + (percent / 1000));
        }

        var other = Guid.NewGuid();
        var sameBucket = devices.Count(d => CohortBucket.Of(d, other) == CohortBucket.Of(d, Rollout));
        sameBucket.ShouldBeLessThan(20);
    }

    [Fact]
    public void Raising_a_phase_never_drops_a_device()
    {
        var devices = Enumerable.Range(0, 5_000).Select(_ => Guid.NewGuid()).ToList();
        double[] percents = [0.01, 0.5, 1, 2.5, 10, 33.33, 50, 99.99, 100];

        foreach (var device in devices)
        {
            var bucket = CohortBucket.Of(device, Rollout);
            var held = percents.Select(p => CohortBucket.Holds(p, bucket)).ToList();
            for (var i = 1; i < held.Count; i++)
            {
                (held[i - 1] && !held[i]).ShouldBeFalse($"bucket {bucket} dropped between {percents[i - 1]}% and {percents[i]}%");
            }

            held[^1].ShouldBeTrue();
        }
    }

    [Theory]
    [InlineData(1, 100)]
    [InlineData(0.01, 1)]
    [InlineData(12.345, 1235)]
    [InlineData(100, 10_000)]
    public void A_phase_at_p_percent_holds_the_buckets_below_p_times_100(double percent, int limit)
    {
        CohortBucket.Limit(percent).ShouldBe(limit);
        CohortBucket.Holds(percent, limit - 1).ShouldBeTrue();
        CohortBucket.Holds(percent, limit).ShouldBeFalse();
    }

    private static int GoldenBucket(Guid device, Guid rollout)
    {
        var bytes = device.ToByteArray(bigEndian: true).Concat(rollout.ToByteArray(bigEndian: true)).ToArray();
        var hash = System.Security.Cryptography.SHA256.HashData(bytes);
        var first = BitConverter.ToUInt64([.. hash.Take(8).Reverse()]);
        return (int)(first % 10_000);
    }
}
