using System.ComponentModel.DataAnnotations;

namespace Fleet.Api.Rollouts;

/// <summary>The <c>Fleet:Rollouts</c> section: how often the controller works.</summary>
public sealed class RolloutOptions
{
    public const string Section = "Fleet:Rollouts";

    /// <summary>False: no background controller in this process (tests drive <see cref="RolloutEngine.TickAsync"/> themselves).</summary>
    public bool ControllerEnabled { get; set; } = true;

    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Least time between two stored gate evaluations of one rollout in one phase; zero: every tick.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan GateInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often a running rollout looks for devices that joined its target since it was created (registered later, or
    /// entered the segment); each look resolves the target once, so not every tick. Zero: every tick.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan JoinInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the leader recounts devices of active rollouts by state for the <c>fleet.rollouts.devices.by_state</c> gauge.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MetricsInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The telemetry metric whose value above zero counts a device as erroring in the gate's health comparison.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.:-]{1,64}$")]
    public string ErrorMetric { get; set; } = "errors";

    /// <summary>
    /// A device updated at T counts reboots and errors from T + this grace on, so the update's own reboot and the
    /// heartbeat that reports it (uptime has one-second resolution) are not taken for a crash.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan HealthGrace { get; set; } = TimeSpan.FromSeconds(30);
}
