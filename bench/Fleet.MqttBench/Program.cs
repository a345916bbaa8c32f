using System.Globalization;
using Fleet.Bench;
using Fleet.MqttBench;

// MQTT against HTTP ingest on one running AppHost (found through apphost.json), one phase per transport and rate: the
// same devices send one reading of N metrics per message; acknowledged and stored messages/s, publish → acknowledgement
// and publish → queryable in PostgreSQL, and the CPU of each process on the machine.
var options = BenchOptions.Parse(args);
var app = RunningApp.Load(options.StateDirectory);
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.HttpConcurrency })
{
    BaseAddress = new Uri(app.ApiUrl),
    Timeout = TimeSpan.FromSeconds(60),
};
var devices = await BenchDevices.LoadOrRegisterAsync(http, app, options.StateDirectory, options.Devices, stop.Token);
var metricNames = Enumerable.Range(0, options.Metrics).Select(m => $"m{m}").ToArray();
// Above every seq an earlier run on a kept state folder sent (it started at least a millisecond earlier and no device sends
// a thousand messages per millisecond), so each message is new to the api.
var seqBase = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
var seqs = devices.Select(_ => seqBase).ToArray();
var meters = new AppMeters(http, app, options.StateDirectory);
var phase = new LoadPhase(options, devices, seqs, meters);

MqttSender? mqtt = null;
if (options.Transports.Contains(BenchOptions.Mqtt))
{
    var (host, port) = MqttSender.Address(app.MqttConnectionString ?? throw new InvalidOperationException("apphost.json names no mqtt broker: is this app running with one?"));
    mqtt = new MqttSender(host, port, devices, metricNames);
    await mqtt.ConnectAsync(options.ConnectParallelism, stop.Token);
}

var results = new List<PhaseResult>();
try
{
    foreach (var rate in options.Rates)
    {
        foreach (var transport in options.Transports)
        {
            ITelemetrySender sender = transport == BenchOptions.Mqtt ? mqtt! : new HttpSender(http, devices, metricNames);
            var result = await phase.RunAsync(sender, rate, transport == BenchOptions.Mqtt ? options.MqttConcurrency : options.HttpConcurrency, stop.Token);
            results.Add(result);
            Report.Phase(result);
        }
    }
}
finally
{
    if (mqtt is not null)
    {
        await mqtt.DisposeAsync();
    }
}

Console.WriteLine();
Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} {File.ReadAllText("/proc/loadavg").Split(' ')[1]}, {Environment.ProcessorCount} cores");
Report.Table(results);
return results.All(r => r.Acked > 0) ? 0 : 1;
