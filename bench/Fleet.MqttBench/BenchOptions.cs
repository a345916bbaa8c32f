using Fleet.Bench;

namespace Fleet.MqttBench;

/// <param name="Rates">Messages/s offered per phase, in order (0: as fast as acknowledgements come, <see cref="MqttConcurrency"/> / <see cref="HttpConcurrency"/> in flight).</param>
/// <param name="MqttConcurrency">Publishes in flight at most over all MQTT devices (round robin, so at most ceil(this / devices) per device).</param>
/// <param name="ProbeEvery">One message in this many (of those sent while measuring) is followed until PostgreSQL returns it.</param>
internal sealed record BenchOptions(
    string StateDirectory, int Devices, int Seconds, int WarmupSeconds, int[] Rates, string[] Transports, int MqttConcurrency, int HttpConcurrency,
    int ProbeEvery, int ConnectParallelism, int DrainSeconds, int Metrics)
{
    public const string Mqtt = "mqtt";
    public const string Http = "http";

    public static BenchOptions Parse(string[] args)
    {
        string Get(string name, string fallback) => args.SkipWhile(a => a != $"--{name}").Skip(1).FirstOrDefault() ?? fallback;
        var transports = Get("transports", "mqtt,http").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (transports.Length == 0 || transports.Any(t => t is not (Mqtt or Http)))
        {
            throw new ArgumentException("--transports takes mqtt, http or both (comma-separated).");
        }

        return new BenchOptions(
            Get("state-dir", RunningApp.DefaultStateDirectory()),
            int.Parse(Get("devices", "10000")),
            int.Parse(Get("seconds", "60")),
            int.Parse(Get("warmup", "20")),
            [.. Get("rate", "0").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)],
            transports,
            int.Parse(Get("mqtt-concurrency", "1000")),
            int.Parse(Get("http-concurrency", "64")),
            int.Parse(Get("probe-every", "100")),
            int.Parse(Get("connect-parallelism", "32")),
            int.Parse(Get("drain-seconds", "120")),
            int.Parse(Get("metrics", "5")));
    }
}
