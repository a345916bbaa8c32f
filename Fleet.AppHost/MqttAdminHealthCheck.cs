using System.Data.Common;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Fleet.AppHost;

/// <summary>Healthy when the broker accepts the admin's MQTT 5 connection: it listens and the dynamic security plugin knows the password.</summary>
public sealed class MqttAdminHealthCheck(Func<string?> connectionString) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (connectionString() is not { } text)
        {
            return HealthCheckResult.Unhealthy("no connection string yet");
        }

        var result = await MqttAdminConnection.TryConnectAsync(text, cancellationToken);
        return result == MQTTnet.MqttClientConnectResultCode.Success
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"the broker answered {result}");
    }
}

/// <summary>Connects with a connection string of the broker's <c>Host=...;Port=...;Username=...;Password=...</c> form.</summary>
public static class MqttAdminConnection
{
    public static MQTTnet.MqttClientOptions Options(string connectionString, string? clientId = null)
    {
        var parts = new DbConnectionStringBuilder { ConnectionString = connectionString };
        string Part(string key) => parts.TryGetValue(key, out var value) ? $"{value}" : throw new FormatException($"the MQTT connection string has no {key}.");
        return new MQTTnet.MqttClientOptionsBuilder()
            .WithTcpServer(Part("Host"), int.Parse(Part("Port"), System.Globalization.CultureInfo.InvariantCulture))
            .WithCredentials(Part("Username"), Part("Password"))
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(clientId ?? $"fleet-apphost-{Guid.NewGuid():N}")
            .WithTimeout(TimeSpan.FromSeconds(3))
            .Build();
    }

    /// <summary>The broker's answer to a connect, or <c>UnspecifiedError</c> when it could not be reached.</summary>
    public static async Task<MQTTnet.MqttClientConnectResultCode> TryConnectAsync(string connectionString, CancellationToken cancellationToken)
    {
        using var client = new MQTTnet.MqttClientFactory().CreateMqttClient();
        try
        {
            var result = await client.ConnectAsync(Options(connectionString), cancellationToken);
            if (result.ResultCode == MQTTnet.MqttClientConnectResultCode.Success)
            {
                await client.DisconnectAsync(new MQTTnet.MqttClientDisconnectOptionsBuilder().Build(), cancellationToken);
            }

            return result.ResultCode;
        }
        catch (MQTTnet.Exceptions.MqttCommunicationException)
        {
            return MQTTnet.MqttClientConnectResultCode.UnspecifiedError;
        }
    }
}
