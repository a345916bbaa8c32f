using System.Diagnostics;
using Fleet.Bench;

namespace Fleet.MqttBench;

/// <summary>
/// What the app did while the bench measured: readings newly stored (the api's <c>fleet.telemetry.readings.stored</c>,
/// from its <c>/metrics</c>) and the CPU time of the processes sharing the machine, from <c>/proc</c>.
/// </summary>
internal sealed class AppMeters(HttpClient http, RunningApp app, string stateDirectory)
{
    private const string StoredReadings = "fleet_telemetry_readings_stored_total";

    /// <summary>AppHost resources whose processes (and their children) are timed, and the bench itself.</summary>
    private static readonly string[] Resources = ["api", "mqtt", "postgres", "cache"];

    public const string Bench = "bench";

    private readonly Dictionary<string, int[]> _pids = Resources.ToDictionary(r => r, r => ResourceCpu.Find(stateDirectory, r));

    public RunningApp App => app;

    public async Task<double> StoredReadingsAsync(CancellationToken cancellationToken) =>
        PrometheusText.Sum(await http.GetStringAsync("/metrics", cancellationToken), StoredReadings);

    public async Task<Snapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var stored = await StoredReadingsAsync(cancellationToken);
        var cpu = _pids.Where(p => p.Value.Length > 0).ToDictionary(p => p.Key, p => ResourceCpu.CpuSeconds(p.Value));
        cpu[Bench] = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        return new Snapshot(stored, cpu);
    }

    public sealed record Snapshot(double Stored, Dictionary<string, double> CpuSeconds)
    {
        public Snapshot Since(Snapshot earlier) =>
            new(Stored - earlier.Stored, CpuSeconds.ToDictionary(p => p.Key, p => p.Value - earlier.CpuSeconds.GetValueOrDefault(p.Key)));

        /// <summary>Each process's CPU as a percentage of one core over <paramref name="seconds"/>.</summary>
        public IReadOnlyDictionary<string, double> CpuPercent(int seconds) => CpuSeconds.ToDictionary(p => p.Key, p => 100 * p.Value / seconds);
    }
}
