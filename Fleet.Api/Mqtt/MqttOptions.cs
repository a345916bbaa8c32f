using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;

namespace Fleet.Api.Mqtt;

/// <summary>The collector and the broker's device identities (<c>Fleet:Mqtt</c>); the broker itself is <c>ConnectionStrings:mqtt</c>.</summary>
public sealed class MqttOptions
{
    public const string Section = "Fleet:Mqtt";

    /// <summary>
    /// The shared subscription's group: every api replica subscribes as a member and the broker gives each message to one.
    /// Apis with different groups each get every message.
    /// </summary>
    [Required, RegularExpression("^[A-Za-z0-9_-]+$")]
    public string ShareGroup { get; set; } = "fleet-api";

    /// <summary>
    /// The collector's client id, stable per replica so a restarted replica resumes its session and takes the messages it
    /// had not acknowledged. Defaults to <c>fleet-api-{machine name}</c> (the pod name in Kubernetes).
    /// </summary>
    [RegularExpression("^[A-Za-z0-9_.-]{1,64}$")]
    public string? ClientId { get; set; }

    /// <summary>How long the broker keeps a disconnected collector's session (and queues its share) before dropping it.</summary>
    [Range(0, 7 * 24 * 3600)]
    public int SessionExpirySeconds { get; set; } = 3600;

    /// <summary>
    /// Messages the broker may have in flight to one collector before it waits for acknowledgements (MQTT 5 Receive
    /// Maximum). The most MQTT allows, because Mosquitto before 2.0.13 (Debian 12 ships 2.0.11) mishandles a subscriber's
    /// queue: once messages queue for the collector, each acknowledgement moves up to this many more into flight, past the
    /// quota, until packet identifiers repeat and delivery stops. The broker queues only when this many are unacknowledged,
    /// so the most puts that furthest away (65,535 messages, about 65 MB in the api).
    /// </summary>
    [Range(1, 65535)]
    public int ReceiveMaximum { get; set; } = 65535;

    /// <summary>How long a device identity change waits for the broker's answer.</summary>
    public TimeSpan ControlTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Pause before the collector tries the broker again, and before it retries a store that was unavailable.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public string EffectiveClientId => ClientId ?? $"fleet-api-{Environment.MachineName}";
}

/// <summary>The broker as Aspire hands it over: <c>Host=...;Port=...;Username=...;Password=...</c>.</summary>
public sealed record MqttBrokerAddress(string Host, int Port, string Username, string Password)
{
    public const string ConnectionStringName = "mqtt";

    public static MqttBrokerAddress? From(IConfiguration configuration)
    {
        if (configuration.GetConnectionString(ConnectionStringName) is not { Length: > 0 } connectionString)
        {
            return null;
        }

        var parts = new DbConnectionStringBuilder { ConnectionString = connectionString };
        string Part(string key) => parts.TryGetValue(key, out var value) && value is string text && text.Length > 0
            ? text
            : throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} has no {key}.");
        return new MqttBrokerAddress(Part("Host"), int.Parse(Part("Port"), CultureInfo.InvariantCulture), Part("Username"), Part("Password"));
    }

    /// <summary>A client of this broker as the admin, or as <paramref name="account"/> when given.</summary>
    public MqttClientOptionsBuilder Client(string clientId, MqttServiceAccount? account = null) => new MqttClientOptionsBuilder()
        .WithTcpServer(Host, Port)
        .WithCredentials(account?.Username ?? Username, account?.Password ?? Password)
        .WithClientId(clientId)
        .WithProtocolVersion(MqttProtocolVersion.V500)
        .WithTimeout(TimeSpan.FromSeconds(10));

    /// <summary>
    /// The api's own client for the collector and the downlink, with only the access it needs. Its password is derived
    /// from the admin's, so every replica knows it without another secret to hand around.
    /// </summary>
    public MqttServiceAccount ServiceAccount()
    {
        var derived = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Password), Encoding.UTF8.GetBytes(MqttServiceAccount.DefaultUsername));
        return new MqttServiceAccount(MqttServiceAccount.DefaultUsername, Convert.ToBase64String(derived));
    }

    /// <summary>Never the password.</summary>
    public override string ToString() => $"{Username}@{Host}:{Port}";
}

/// <summary>The api's service client at the broker.</summary>
public sealed record MqttServiceAccount(string Username, string Password)
{
    public const string DefaultUsername = "fleet-service";

    /// <summary>Never the password.</summary>
    public override string ToString() => Username;
}
