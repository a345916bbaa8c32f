using System.ComponentModel.DataAnnotations;

namespace Fleet.Api.Telemetry;

/// <summary>The <c>Fleet:Telemetry</c> section.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Fleet:Telemetry";

    [Range(1, 1000)]
    public int MaxReadingsPerBatch { get; set; } = 1000;

    [Range(1, 256)]
    public int MaxMetricsPerReading { get; set; } = 64;

    /// <summary>Bodies above this are refused with 413 before they are read.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Readings older than this are refused (and it bounds the partitions that must exist).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan MaxPast { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Readings from further in the future than this are refused (device clocks drift a little).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MaxFuture { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Partitions wholly older than this are dropped.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Telemetry requests one device may make per minute (all replicas together); more get 429.</summary>
    [Range(1, 100_000)]
    public int RequestsPerDevicePerMinute { get; set; } = 120;

    /// <summary>
    /// How often each replica adds the telemetry requests it counted to the devices' shared counts in Redis (and learns
    /// the other replicas'): a device spread over several replicas can pass its budget by what they accept in this time.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan RateFlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Writer lanes (connections) committing batches side by side; two let one copy while the other waits for the disk.</summary>
    [Range(1, 16)]
    public int WriterLanes { get; set; } = 2;

    /// <summary>The most rows the writer puts into one COPY; requests queued meanwhile join the next one.</summary>
    [Range(100, 1_000_000)]
    public int MaxRowsPerWrite { get; set; } = 50_000;

    /// <summary>When a telemetry request is answered 202: once its readings are committed in PostgreSQL, or once they are in the telemetry log.</summary>
    public TelemetryAcknowledgement Acknowledge { get; set; } = TelemetryAcknowledgement.Committed;

    /// <summary>With <see cref="TelemetryAcknowledgement.Logged"/>: requests (log entries) a writer lane takes into one group commit.</summary>
    [Range(1, 10_000)]
    public int LogReadCount { get; set; } = 25;

    /// <summary>
    /// With <see cref="TelemetryAcknowledgement.Logged"/>: the most entries (requests) the log holds. While it is full (the
    /// writer is behind, or PostgreSQL is down) a request waits for room up to <see cref="LogFullWait"/>, then gets 503
    /// with Retry-After, and nothing of it is kept.
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxLogBacklog { get; set; } = 1_000;

    /// <summary>With <see cref="TelemetryAcknowledgement.Logged"/>: how long a request waits for room in a full log before its 503.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan LogFullWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>With <see cref="TelemetryAcknowledgement.Logged"/>: how long an entry read by a lane may stay unacknowledged before any lane takes it over (its replica stopped).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan LogClaimAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often a writer lane drops its cached plans, so that the claim is planned again for the table sizes of now
    /// (a plan made while the fleet was small scans every device's sequence row, for as long as it is kept).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan WriterReplanInterval { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>When a telemetry request is acknowledged (202), and so what a 202 promises.</summary>
public enum TelemetryAcknowledgement
{
    /// <summary>After the group commit in PostgreSQL that stored its readings: a 202'd reading can be queried at once.</summary>
    Committed,

    /// <summary>
    /// After its readings are appended to the telemetry log, a Redis stream that the writer drains into PostgreSQL in
    /// large groups (<see cref="TelemetryLog"/>): more readings a second for the same machine, and a reading shows in
    /// queries a moment after its 202.
    /// </summary>
    Logged,
}
