using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Fleet.Api.Telemetry;
using Fleet.Contracts;

BenchmarkRunner.Run<Fleet.ParseBench.TelemetryBodyParsing>(args: args);

namespace Fleet.ParseBench
{

    /// <summary>
    /// One telemetry request's body, shaped as the ingest bench sends it (60 readings x 5 metrics), turned into COPY tuples
    /// the two ways the API can: the fast path's single reader pass, and the serializer's path (deserialize, validate, encode).
    /// </summary>
    [MemoryDiagnoser]
    public class TelemetryBodyParsing
    {
        private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.Strict };
        private static readonly Guid Device = Guid.NewGuid();
        private readonly TelemetryOptions _options = new();
        private byte[] _body = [];
        private DateTimeOffset _now;

        [Params(10, 60)]
        public int Readings { get; set; }

        [GlobalSetup]
        public void Setup()
        {
            _now = DateTimeOffset.UtcNow;
            var random = new Random(42);
            var readings = Enumerable.Range(0, Readings).Select(r => new TelemetryReading(1000 + r, _now.AddMilliseconds(-r),
                Enumerable.Range(0, 5).ToDictionary(m => $"m{m}", _ => random.NextDouble() * 100)));
            _body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new TelemetryBatchRequest([.. readings]), Json));
        }

        [Benchmark(Baseline = true)]
        public int Serializer()
        {
            var request = JsonSerializer.Deserialize<TelemetryBatchRequest>(_body, Json)!;
            if (TelemetryValidation.Validate(request, _now, _options).Count > 0)
            {
                throw new InvalidOperationException("The body should be valid.");
            }

            var sent = request.Readings!;
            using var readings = EncodedReadings.Encode(Device, sent);
            var latest = sent.MaxBy(r => r.Ts)!.Metrics!;
            var errors = sent.Any(r => r.Metrics!.TryGetValue("errors", out var value) && value > 0);
            return readings.Length + latest.Count + (errors ? 1 : 0);
        }

        [Benchmark]
        public int FastPath()
        {
            var parsed = TelemetryBodyReader.TryRead(_body, Device, _now, _options, "errors") ?? throw new InvalidOperationException("The body should be read.");
            using var readings = parsed.Readings;
            return readings.Length + parsed.LatestMetrics.Count + (parsed.ReportsErrors ? 1 : 0);
        }
    }
}
