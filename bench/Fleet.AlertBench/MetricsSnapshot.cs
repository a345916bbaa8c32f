using Fleet.Bench;

namespace Fleet.AlertBench;

/// <summary>The evaluator's counters (<c>Fleet.Alerts</c> meter) from the API's Prometheus <c>/metrics</c>, summed over their series.</summary>
internal sealed record MetricsSnapshot(double Evaluations, double EvaluationSeconds, double DevicesEvaluated, double Checks)
{
    public double MeanEvaluationMs => Evaluations == 0 ? 0 : EvaluationSeconds / Evaluations * 1000;

    public double MicrosecondsPerDevice => DevicesEvaluated == 0 ? 0 : EvaluationSeconds / DevicesEvaluated * 1_000_000;

    public static async Task<MetricsSnapshot> ReadAsync(HttpClient http)
    {
        var text = await http.GetStringAsync("/metrics");
        return new MetricsSnapshot(
            PrometheusText.Sum(text, "fleet_alerts_evaluation_duration_seconds_count"),
            PrometheusText.Sum(text, "fleet_alerts_evaluation_duration_seconds_sum"),
            PrometheusText.Sum(text, "fleet_alerts_devices_evaluated_total"),
            PrometheusText.Sum(text, "fleet_alerts_checks_total"));
    }

    public MetricsSnapshot Since(MetricsSnapshot earlier) =>
        new(Evaluations - earlier.Evaluations, EvaluationSeconds - earlier.EvaluationSeconds, DevicesEvaluated - earlier.DevicesEvaluated, Checks - earlier.Checks);
}
