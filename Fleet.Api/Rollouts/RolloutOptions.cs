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

    /// <summary>How often the leader recounts devices of active rollouts by state for the <c>fleet.rollouts.devices.by_state</c> gauge.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MetricsInterval { get; set; } = TimeSpan.FromSeconds(15);
}
