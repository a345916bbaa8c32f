using System.ComponentModel.DataAnnotations;

namespace Fleet.Api.Devices;

/// <summary>The <c>Fleet:Heartbeats</c> section.</summary>
public sealed class HeartbeatOptions
{
    public const string Section = "Fleet:Heartbeats";

    /// <summary>Heartbeats one device may send per minute (all replicas together); more get 429. The simulator sends one per 10 s.</summary>
    [Range(1, 100_000)]
    public int RequestsPerDevicePerMinute { get; set; } = 60;

    /// <summary>How often each replica adds the heartbeats it counted to the devices' shared counts in Redis.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan RateFlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);
}
