using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleet.Api.Mqtt;

/// <summary>The broker could not be reached, did not answer in time, or refused a change.</summary>
public sealed class BrokerChangeFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Talks to Mosquitto's dynamic security plugin: commands go to <see cref="Topic"/> as the broker's admin, each with its
/// own correlation data, and the plugin answers them on <see cref="ResponseTopic"/>. One connection, opened on first use
/// and again after it drops.
/// </summary>
public sealed partial class BrokerControl : IAsyncDisposable
{
    public const string Topic = "$CONTROL/dynamic-security/v1";
    public const string ResponseTopic = Topic + "/response";

    private readonly MqttBrokerAddress _broker;
    private readonly IOptions<MqttOptions> _options;
    private readonly MqttSession _session;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string?>> _pending = new();

    public BrokerControl(MqttBrokerAddress broker, IOptions<MqttOptions> options, ILogger<BrokerControl> logger)
    {
        (_broker, _options) = (broker, options);
        // A fresh session each time: answers to commands sent before a drop are not waited for any more.
        _session = new MqttSession(() => broker.Client($"fleet-api-control-{Guid.NewGuid():N}").WithCleanStart().Build(), async (client, cancellationToken) =>
        {
            await client.SubscribeAsync(ResponseTopic, MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken);
            LogConnected(logger, broker);
        });
        _session.Client.ApplicationMessageReceivedAsync += received => OnResponse(received, logger);
    }

    /// <summary>Sends the commands in one message; returns each one's error text, or null where it succeeded.</summary>
    public async Task<IReadOnlyList<string?>> SendAsync(IReadOnlyList<JsonObject> commands, CancellationToken cancellationToken)
    {
        var batch = new JsonArray();
        var answers = new List<(string Id, Task<string?> Answer)>(commands.Count);
        foreach (var command in commands)
        {
            var id = Guid.NewGuid().ToString("N");
            var answer = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[id] = answer;
            answers.Add((id, answer.Task));
            var sent = (JsonObject)command.DeepClone();
            sent["correlationData"] = id;
            batch.Add(sent);
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Value.ControlTimeout);
            var client = await _session.ConnectAsync(timeout.Token);
            await client.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(Topic)
                .WithPayload(new JsonObject { ["commands"] = batch }.ToJsonString())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build(), timeout.Token);
            return await Task.WhenAll(answers.Select(a => a.Answer)).WaitAsync(timeout.Token);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && exception is not BrokerChangeFailedException)
        {
            throw new BrokerChangeFailedException($"The MQTT broker ({_broker}) did not take the change: {exception.Message}", exception);
        }
        finally
        {
            foreach (var (id, _) in answers)
            {
                _pending.TryRemove(id, out _);
            }
        }
    }

    private Task OnResponse(MqttApplicationMessageReceivedEventArgs received, ILogger logger)
    {
        if (received.ApplicationMessage.Topic != ResponseTopic)
        {
            return Task.CompletedTask;
        }

        try
        {
            var reader = new Utf8JsonReader(received.ApplicationMessage.Payload);
            var responses = JsonNode.Parse(ref reader)?["responses"]?.AsArray() ?? [];
            foreach (var response in responses)
            {
                if (response?["correlationData"]?.GetValue<string>() is { } id && _pending.TryRemove(id, out var answer))
                {
                    answer.TrySetResult(response["error"]?.GetValue<string>());
                }
            }
        }
        catch (JsonException exception)
        {
            LogUnreadableResponse(logger, exception);
        }

        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => _session.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to the MQTT broker's dynamic security control as {Broker}")]
    private static partial void LogConnected(ILogger logger, MqttBrokerAddress broker);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The MQTT broker's control answer was not JSON")]
    private static partial void LogUnreadableResponse(ILogger logger, Exception exception);
}
