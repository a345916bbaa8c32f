using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Fleet.Bench;
using Fleet.Contracts;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Fleet.MqttBench;

/// <summary>Every device with its own MQTT 5 connection to the broker, as a device would hold it; QoS 1, PUBACK is the acknowledgement.</summary>
internal sealed class MqttSender(string host, int port, BenchDevice[] devices, string[] metricNames) : ITelemetrySender, IAsyncDisposable
{
    private readonly IMqttClient[] _clients = new IMqttClient[devices.Length];
    private readonly string[] _topics = [.. devices.Select(d => FleetMqtt.Topic(d.Id, FleetMqtt.Telemetry))];

    public string Transport => BenchOptions.Mqtt;

    /// <summary>The broker's address from the AppHost's connection string (<c>Host=...;Port=...</c>); its admin credentials are not used.</summary>
    public static (string Host, int Port) Address(string connectionString)
    {
        var parts = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return ((string)parts["Host"], int.Parse((string)parts["Port"], CultureInfo.InvariantCulture));
    }

    public async Task ConnectAsync(int parallelism, CancellationToken cancellationToken)
    {
        var factory = new MqttClientFactory();
        var clock = Stopwatch.StartNew();
        var refused = 0;
        await Parallel.ForAsync(0, devices.Length, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var client = factory.CreateMqttClient();
            var id = devices[i].Id.ToString("D");
            var options = new MqttClientOptionsBuilder()
                .WithTcpServer(host, port)
                .WithProtocolVersion(MqttProtocolVersion.V500)
                .WithClientId(id)
                .WithCredentials(id, devices[i].Key)
                .WithCleanStart(true)
                .WithKeepAlivePeriod(TimeSpan.FromSeconds(120))
                .WithTimeout(TimeSpan.FromSeconds(30))
                .Build();
            var result = await client.ConnectAsync(options, ct);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                Interlocked.Increment(ref refused);
            }

            _clients[i] = client;
        });
        if (refused > 0)
        {
            throw new InvalidOperationException($"the broker refused {refused} of {devices.Length} devices (are they registered with this app's broker?)");
        }

        Console.WriteLine($"mqtt: {devices.Length} devices connected in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    public async Task<string?> SendAsync(int device, long seq, CancellationToken cancellationToken)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(_topics[device])
            .WithPayload(TelemetryBody.Write(metricNames, seq, 1, DateTimeOffset.UtcNow).ToArray())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithContentType(FleetMqtt.JsonContentType)
            .Build();
        try
        {
            var result = await _clients[device].PublishAsync(message, cancellationToken);
            return result.ReasonCode == MqttClientPublishReasonCode.Success ? null : result.ReasonCode.ToString();
        }
        catch (MQTTnet.Exceptions.MqttCommunicationException exception)
        {
            return exception.GetType().Name;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Where(c => c is not null))
        {
            if (client.IsConnected)
            {
                await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
            }

            client.Dispose();
        }
    }
}
