using Fleet.Bench;

namespace Fleet.RolloutBench;

/// <summary>The controller's counters from the API's Prometheus <c>/metrics</c>, summed over their series.</summary>
internal sealed record MetricsSnapshot(double TickSeconds, double Ticks, double DevicesMoved, double Evaluations)
{
    public double MeanTickMs => Ticks == 0 ? 0 : TickSeconds / Ticks * 1000;

    public double DevicesPerTick => Ticks == 0 ? 0 : DevicesMoved / Ticks;

    public static async Task<MetricsSnapshot> ReadAsync(HttpClient http)
    {
        var text = await http.GetStringAsync("/metrics");
        return new MetricsSnapshot(
            PrometheusText.Sum(text, "fleet_rollouts_tick_duration_seconds_sum"),
            PrometheusText.Sum(text, "fleet_rollouts_tick_duration_seconds_count"),
            PrometheusText.Sum(text, "fleet_rollouts_tick_devices_total"),
            PrometheusText.Sum(text, "fleet_rollouts_gate_evaluations_total"));
    }

    public MetricsSnapshot Since(MetricsSnapshot earlier) =>
        new(TickSeconds - earlier.TickSeconds, Ticks - earlier.Ticks, DevicesMoved - earlier.DevicesMoved, Evaluations - earlier.Evaluations);
}
