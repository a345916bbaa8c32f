using System.ComponentModel.DataAnnotations;

namespace Fleet.Api.Alerts;

/// <summary>The <c>Fleet:Alerts</c> section.</summary>
public sealed class AlertOptions
{
    public const string Section = "Fleet:Alerts";

    /// <summary>How often the leader looks at devices whose data changed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The most devices one evaluation takes; the rest wait for the next tick.</summary>
    [Range(1, 100_000)]
    public int MaxDevicesPerEvaluation { get; set; } = 5_000;

    /// <summary>How often the leader checks running and paused rollouts for rollout_failure_ratio rules.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan RolloutCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A rollout's failure ratio is judged once at least this many of its updates in scope have finished.</summary>
    [Range(1, 100_000)]
    public int MinimumFinishedUpdates { get; set; } = 5;

    /// <summary>The window over which battery drain and packet loss are measured (tumbling: each rate is one whole window).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan RateWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A type's drain norm (median) needs at least this many devices with a measured drain; below it, battery_degradation cannot judge.</summary>
    [Range(1, 100_000)]
    public int MinimumDevicesForNorm { get; set; } = 10;

    /// <summary>The norm is taken as at least this (percentage points per hour), so a fleet that barely drains does not make every device an outlier.</summary>
    [Range(0.0, 100.0)]
    public double DrainNormFloorPerHour { get; set; } = 0.5;

    /// <summary>
    /// How often each replica sends the latest metrics that ingest recorded to Redis (one pipelined batch for all
    /// devices) and marks their devices changed; a threshold breach reaches the evaluator up to this much later.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan SignalFlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Networks (CIDR, e.g. <c>10.20.0.0/16</c>, <c>127.0.0.1/32</c>) webhooks may reach although they are loopback, private
    /// or link-local; empty (the default): only public addresses.
    /// </summary>
    public List<string> WebhookAllowedNetworks { get; set; } = [];

    internal IReadOnlyList<System.Net.IPNetwork> AllowedNetworks => _allowed ??= [.. WebhookAllowedNetworks.Select(network => System.Net.IPNetwork.Parse(network))];

    private IReadOnlyList<System.Net.IPNetwork>? _allowed;
}
