using System.ComponentModel.DataAnnotations;

namespace Fleet.Api.Status;

/// <summary>The <c>Fleet:Status</c> section: the windows of ARCHITECTURE.md's device status.</summary>
public sealed class StatusOptions
{
    public const string Section = "Fleet:Status";

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan AtRiskAfter { get; set; } = TimeSpan.FromMinutes(2);

    [Range(typeof(TimeSpan), "00:00:02", "7.00:00:00")]
    public TimeSpan OfflineAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Battery percentage below which a device that reports is still at-risk.</summary>
    [Range(0, 100)]
    public double LowBatteryPercent { get; set; } = 20;

    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most devices one sweep moves per step, so one sweep stays short even after a mass outage.</summary>
    [Range(1, 1_000_000)]
    public int MaxChangesPerSweep { get; set; } = 10_000;
}
