using MQTTnet;

namespace Fleet.Api.Mqtt;

/// <summary>
/// One MQTT connection of the api's, opened on first use and again after it drops; concurrent callers wait for the same
/// attempt. <paramref name="connected"/> runs after each successful connect (subscriptions, a log line).
/// </summary>
public sealed class MqttSession(Func<MqttClientOptions> options, Func<IMqttClient, CancellationToken, Task> connected) : IAsyncDisposable
{
    private readonly SemaphoreSlim _connecting = new(1, 1);

    public IMqttClient Client { get; } = new MqttClientFactory().CreateMqttClient();

    /// <summary>Connected when it returns; the broker's refusal is an <see cref="InvalidOperationException"/> naming its reason.</summary>
    public async Task<IMqttClient> ConnectAsync(CancellationToken cancellationToken)
    {
        if (Client.IsConnected)
        {
            return Client;
        }

        await _connecting.WaitAsync(cancellationToken);
        try
        {
            if (!Client.IsConnected)
            {
                var result = await Client.ConnectAsync(options(), cancellationToken);
                if (result.ResultCode != MqttClientConnectResultCode.Success)
                {
                    throw new InvalidOperationException($"The MQTT broker refused the connection: {result.ResultCode}.");
                }

                await connected(Client, cancellationToken);
            }

            return Client;
        }
        finally
        {
            _connecting.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Client.IsConnected)
        {
            await Client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
        }

        Client.Dispose();
        _connecting.Dispose();
    }
}
