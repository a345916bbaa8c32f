using System.Diagnostics;
using System.Diagnostics.Metrics;
using Fleet.Api.Status;

namespace Fleet.Api.Infrastructure;

/// <summary>
/// Fleet's own meters and background-work spans outside telemetry ingest (which instruments itself as
/// <c>Fleet.Telemetry</c>). ServiceDefaults listens to every <c>Fleet.*</c> source and meter, so they reach
/// OTLP and the Prometheus <c>/metrics</c> endpoint without further wiring.
/// </summary>
public sealed class FleetMetrics
{
    public const string MeterName = "Fleet.Devices";
    public const string ActivitySourceName = "Fleet.Status";

    /// <summary>Spans around the status sweeper's ticks.</summary>
    public static readonly ActivitySource Activities = new(ActivitySourceName);

    private readonly Counter<long> _transitions;
    private volatile IReadOnlyDictionary<string, long> _devicesByStatus = new Dictionary<string, long>();

    public FleetMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _transitions = meter.CreateCounter<long>(
            "fleet.devices.status_transitions", "{transition}", "Device connectivity changes, by from and to status.");
        meter.CreateObservableGauge(
            "fleet.devices.by_status",
            () => _devicesByStatus.Select(pair => new Measurement<long>(pair.Value, new KeyValuePair<string, object?>("status", pair.Key))),
            "{device}",
            "Devices in each connectivity status, fleet-wide (every replica reports the same counts; aggregate with max).");
    }

    public void StatusChanged(ConnectivityChange change) =>
        _transitions.Add(1, new KeyValuePair<string, object?>("from", change.From.ToName()), new KeyValuePair<string, object?>("to", change.To.ToName()));

    /// <summary>The status tracker's latest counts; the gauge reports them at the next collection.</summary>
    public void SetDevicesByStatus(IReadOnlyDictionary<string, long> counts) => _devicesByStatus = counts;
}
