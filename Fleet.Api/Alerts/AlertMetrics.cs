using System.Diagnostics.Metrics;
using Fleet.Api.Infrastructure;

namespace Fleet.Api.Alerts;

/// <summary>
/// The <c>Fleet.Alerts</c> meter: how much the evaluator looks at (devices and rule checks per evaluation, and its
/// time), so its cost can be read against the number of devices that change; and alerts opened and resolved.
/// </summary>
public sealed class AlertMetrics
{
    public const string MeterName = "Fleet.Alerts";

    private readonly Counter<long> _devicesEvaluated;
    private readonly Counter<long> _checks;
    private readonly Counter<long> _transitions;
    private readonly Histogram<double> _evaluationDuration;
    private readonly Histogram<long> _evaluationDevices;

    public AlertMetrics(IMeterFactory meterFactory)
    {
        var meter = Meter = meterFactory.Create(MeterName);
        _devicesEvaluated = meter.CreateCounter<long>("fleet.alerts.devices.evaluated", "{device}", "Devices the evaluator looked at.");
        _checks = meter.CreateCounter<long>("fleet.alerts.checks", "{check}", "Rule conditions evaluated (rule x device in scope).");
        _transitions = meter.CreateCounter<long>("fleet.alerts.transitions", "{alert}", "Alerts opened or resolved by the evaluator, by new state and severity.");
        _evaluationDuration = meter.CreateHistogram<double>("fleet.alerts.evaluation.duration", "s", "Time of one evaluation that had devices to look at.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = HistogramBuckets.Seconds });
        _evaluationDevices = meter.CreateHistogram<long>("fleet.alerts.evaluation.devices", "{device}", "Devices one evaluation looked at (changed or due).",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = HistogramBuckets.Counts });
    }

    /// <summary>This process's meter, so a listener can tell it from other APIs in the same process (tests).</summary>
    public Meter Meter { get; }

    public void Evaluated(int devices, int checks, TimeSpan duration)
    {
        _devicesEvaluated.Add(devices);
        _checks.Add(checks);
        _evaluationDuration.Record(duration.TotalSeconds);
        _evaluationDevices.Record(devices);
    }

    public void Transitioned(string state, string severity) =>
        _transitions.Add(1, new KeyValuePair<string, object?>("state", state), new KeyValuePair<string, object?>("severity", severity));
}
