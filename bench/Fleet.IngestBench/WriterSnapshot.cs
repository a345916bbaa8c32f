using Fleet.Bench;

namespace Fleet.IngestBench;

/// <summary>
/// The API writer's group commits from <c>/metrics</c>: how many, how many readings, and the time of each phase
/// (fleet.telemetry.batch.phase.duration). The load never resends a reading, so every group takes the direct path.
/// Two snapshots give the measured minute's mean group and where its time went.
/// </summary>
internal sealed record WriterSnapshot(double Groups, double Readings, double Seconds, double StartSeconds, double CopySeconds, double CommitSeconds)
{
    private const string Phases = "fleet_telemetry_batch_phase_duration_seconds";
    private const string Direct = "fleet_telemetry_path=\"direct\"";

    public static async Task<WriterSnapshot> ReadAsync(HttpClient http)
    {
        var text = await http.GetStringAsync("/metrics");
        double Phase(string name, string suffix) => PrometheusText.Sum(text, Phases + suffix, Direct, $"fleet_telemetry_phase=\"{name}\"");
        return new WriterSnapshot(
            PrometheusText.Sum(text, "fleet_telemetry_batches_total", Direct),
            PrometheusText.Sum(text, "fleet_telemetry_batch_readings_sum"),
            PrometheusText.Sum(text, "fleet_telemetry_batch_duration_seconds_sum"),
            Phase("copy.start", "_sum"),
            Phase("copy", "_sum"),
            Phase("commit", "_sum"));
    }

    public WriterSnapshot Since(WriterSnapshot earlier) => new(
        Groups - earlier.Groups, Readings - earlier.Readings, Seconds - earlier.Seconds,
        StartSeconds - earlier.StartSeconds, CopySeconds - earlier.CopySeconds, CommitSeconds - earlier.CommitSeconds);

    /// <summary>One line: group commits, their mean size and time, and the mean time of each phase.</summary>
    public string Describe(int seconds)
    {
        double Ms(double total) => Groups == 0 ? 0 : total / Groups * 1000;
        return $"{Groups / seconds:N0} group commits/s, {(Groups == 0 ? 0 : Readings / Groups):N0} readings each, {Ms(Seconds):0.00} ms each " +
               $"(copy start {Ms(StartSeconds):0.00}, copy {Ms(CopySeconds):0.00}, claim + commit {Ms(CommitSeconds):0.00})";
    }
}
