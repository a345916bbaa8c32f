using System.ComponentModel.DataAnnotations;

namespace Fleet.Api.Commands;

/// <summary>The <c>Fleet:Commands</c> section: time-to-live bounds, fan-out cap, resend policy and the sweeper's pace.</summary>
public sealed class CommandOptions
{
    public const string Section = "Fleet:Commands";

    /// <summary>False: no background sweeper in this process (tests may drive <see cref="CommandSweeper.SweepAsync"/>).</summary>
    public bool SweeperEnabled { get; set; } = true;

    /// <summary>How often the leader looks for due resends and expiries.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A sent command with no report from the device after this long is resent.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Socket sends per device (the first included); after the last one times out the delivery fails.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Most due rows one sweep takes per kind of work; the rest wait for the next sweep.</summary>
    [Range(1, 100_000)]
    public int SweepBatchSize { get; set; } = 2_000;

    [Range(1, 604_800)]
    public int DefaultTtlSeconds { get; set; } = 3_600;

    [Range(1, 2_592_000)]
    public int MaxTtlSeconds { get; set; } = 604_800;

    /// <summary>Most devices one command may reach; a segment matching more is refused (400).</summary>
    [Range(1, 1_000_000)]
    public int MaxDevices { get; set; } = 50_000;

    [Range(1, 86_400)]
    public int MinIntervalSeconds { get; set; } = 1;

    [Range(1, 86_400)]
    public int MaxIntervalSeconds { get; set; } = 3_600;
}
