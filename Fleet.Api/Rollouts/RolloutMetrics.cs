using System.Diagnostics;
using System.Diagnostics.Metrics;
using Fleet.Api.Infrastructure;

namespace Fleet.Api.Rollouts;

/// <summary>
/// The <c>Fleet.Rollouts</c> meter and activity source: what each controller tick did and how long it took (the
/// work should follow the devices that change, not the fleet), devices of active rollouts by update state, and
/// the device WebSockets this replica holds.
/// </summary>
public sealed class RolloutMetrics
{
    public const string MeterName = "Fleet.Rollouts";
    public const string ActivitySourceName = "Fleet.Rollouts";

    /// <summary>Spans around controller ticks.</summary>
    public static readonly ActivitySource Activities = new(ActivitySourceName);

    private readonly Histogram<double> _tickDuration;
    private readonly Counter<long> _deviceMoves;
    private readonly Counter<long> _gateEvaluations;
    private volatile IReadOnlyDictionary<string, long> _devicesByState = new Dictionary<string, long>();

    public RolloutMetrics(IMeterFactory meterFactory, DeviceChannelHub channel)
    {
        var meter = Meter = meterFactory.Create(MeterName);
        _tickDuration = meter.CreateHistogram<double>("fleet.rollouts.tick.duration", "s", "Time of one controller tick over the running rollouts.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = HistogramBuckets.Seconds });
        _deviceMoves = meter.CreateCounter<long>(
            "fleet.rollouts.tick.devices", "{device}", "Devices a tick moved, by what it did: enrolled, retried or timed-out.");
        _gateEvaluations = meter.CreateCounter<long>("fleet.rollouts.gate.evaluations", "{evaluation}", "Gate evaluations stored by the controller.");
        meter.CreateObservableGauge(
            "fleet.rollouts.devices.by_state",
            () => _devicesByState.Select(pair => new Measurement<long>(pair.Value, new KeyValuePair<string, object?>("state", pair.Key))),
            "{device}",
            "Devices of running and paused rollouts, by update state (fleet-wide, refreshed by the controller's leader).");
        meter.CreateObservableGauge(
            "fleet.device_channel.connections", () => (long)channel.Connected, "{connection}", "Device WebSockets held by this replica.");
    }

    /// <summary>This process's meter, so a listener can tell it from other APIs in the same process (tests).</summary>
    public Meter Meter { get; }

    public void Ticked(RolloutTickReport report, TimeSpan duration)
    {
        _tickDuration.Record(duration.TotalSeconds);
        Add(report.Enrolled, "enrolled");
        Add(report.Retried, "retried");
        Add(report.TimedOut, "timed-out");
        if (report.Evaluations > 0)
        {
            _gateEvaluations.Add(report.Evaluations);
        }
    }

    /// <summary>The controller's latest grouped count; the gauge reports it at the next collection.</summary>
    public void SetDevicesByState(IReadOnlyDictionary<string, long> counts) => _devicesByState = counts;

    private void Add(int count, string action)
    {
        if (count > 0)
        {
            _deviceMoves.Add(count, new KeyValuePair<string, object?>("action", action));
        }
    }
}
