using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Fleet.AppHost;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace Fleet.Tests.DeviceSim;

/// <summary>One message the observer saw: its topic, payload and MQTT 5 content type.</summary>
public sealed record SeenMessage(string Topic, string Payload, string? ContentType);

/// <summary>
/// The AppHost's Mosquitto (only the <c>mqtt</c> resource, in a throwaway state folder) with its admin connected: creates
/// device and server identities through the dynamic security plugin and records everything published under <c>fleet/#</c>.
/// </summary>
public sealed class MqttTestBroker : IAsyncDisposable
{
    private const string ControlTopic = "$CONTROL/dynamic-security/v1";
    private readonly string _stateDirectory = TestDirectories.Create("sim-mqtt");
    private readonly SemaphoreSlim _control = new(1, 1);
    private DistributedApplication? _app;
    private IMqttClient? _admin;
    private TaskCompletionSource<string>? _controlAnswer;

    private MqttTestBroker()
    {
    }

    public ConcurrentQueue<SeenMessage> Seen { get; } = new();

    public string Host { get; private set; } = "";

    public int Port { get; private set; }

    public string ConnectionString { get; private set; } = "";

    public static async Task<MqttTestBroker> StartAsync(CancellationToken cancellationToken)
    {
        var broker = new MqttTestBroker();
        try
        {
            await broker.StartAppAsync(cancellationToken);
            await broker.ConnectAdminAsync(cancellationToken);
            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the broker process and starts it again (its clients lose their connections); waits until it is healthy.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        var app = _app!;
        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        var stop = await commands.ExecuteCommandAsync(FleetResources.Mqtt, KnownResourceCommands.StopCommand, cancellationToken);
        stop.Success.ShouldBeTrue(stop.Message);
        await notifications.WaitForResourceAsync(FleetResources.Mqtt, KnownResourceStates.TerminalStates, cancellationToken);
        var start = await commands.ExecuteCommandAsync(FleetResources.Mqtt, KnownResourceCommands.StartCommand, cancellationToken);
        start.Success.ShouldBeTrue(start.Message);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(1));
        await notifications.WaitForResourceHealthyAsync(FleetResources.Mqtt, deadline.Token);
        await ReadEndpointAsync(cancellationToken);
        _admin?.Dispose();
        await ConnectAdminAsync(cancellationToken);
    }

    /// <summary>A device identity as the api will make them: client id and username its id, password its key, its own topics only.</summary>
    public Task CreateDeviceAsync(Guid deviceId, string key, CancellationToken cancellationToken)
    {
        var user = deviceId.ToString();
        var role = $"device-{user}";
        var topics = $"{FleetMqtt.Root}/{user}/#";
        return ControlAsync(
        [
            new JsonObject { ["command"] = "createClient", ["username"] = user, ["password"] = key, ["clientid"] = user },
            new JsonObject { ["command"] = "createRole", ["rolename"] = role },
            Acl(role, "publishClientSend", topics),
            Acl(role, "publishClientReceive", topics),
            Acl(role, "subscribePattern", topics),
            new JsonObject { ["command"] = "addClientRole", ["username"] = user, ["rolename"] = role },
        ], cancellationToken);
    }

    /// <summary>A stand-in for the api's side: may publish to every device's commands and updates.</summary>
    public async Task<IMqttClient> ConnectServerAsync(CancellationToken cancellationToken)
    {
        var user = $"server-{Guid.NewGuid():N}";
        var password = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        await ControlAsync(
        [
            new JsonObject { ["command"] = "createClient", ["username"] = user, ["password"] = password },
            new JsonObject { ["command"] = "createRole", ["rolename"] = user },
            Acl(user, "publishClientSend", $"{FleetMqtt.Root}/+/{FleetMqtt.Commands}"),
            Acl(user, "publishClientSend", $"{FleetMqtt.Root}/+/{FleetMqtt.Updates}"),
            new JsonObject { ["command"] = "addClientRole", ["username"] = user, ["rolename"] = user },
        ], cancellationToken);
        var client = new MqttClientFactory().CreateMqttClient();
        var result = await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer(Host, Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(user)
            .WithCredentials(user, password)
            .Build(), cancellationToken);
        result.ResultCode.ShouldBe(MqttClientConnectResultCode.Success);
        return client;
    }

    /// <summary>The messages seen so far on one device's topic of this kind.</summary>
    public IReadOnlyList<SeenMessage> On(Guid deviceId, string kind) =>
        [.. Seen.Where(message => message.Topic == FleetMqtt.Topic(deviceId, kind))];

    private static JsonObject Acl(string role, string type, string topic) =>
        new() { ["command"] = "addRoleACL", ["rolename"] = role, ["acltype"] = type, ["topic"] = topic, ["allow"] = true };

    /// <summary>Sends dynamic security commands and fails on any error in the plugin's answer.</summary>
    private async Task ControlAsync(JsonArray commands, CancellationToken cancellationToken)
    {
        await _control.WaitAsync(cancellationToken);
        try
        {
            var answer = _controlAnswer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            await _admin!.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(ControlTopic)
                .WithPayload(new JsonObject { ["commands"] = commands }.ToJsonString())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build(), cancellationToken);
            var response = JsonNode.Parse(await answer.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken))!;
            var errors = response["responses"]!.AsArray().Where(item => item?["error"] is not null).Select(item => item!.ToJsonString()).ToList();
            errors.ShouldBeEmpty();
        }
        finally
        {
            _control.Release();
        }
    }

    private async Task StartAppAsync(CancellationToken cancellationToken)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Fleet_AppHost>(
            [$"--state-dir={_stateDirectory}", "--Fleet:BackingServices=local"], cancellationToken);
        foreach (var resource in builder.Resources.Where(resource => resource is not ParameterResource && resource.Name != FleetResources.Mqtt).ToList())
        {
            builder.Resources.Remove(resource);
        }

        _app = await builder.BuildAsync(cancellationToken);
        await _app.StartAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromMinutes(1));
        await _app.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceHealthyAsync(FleetResources.Mqtt, deadline.Token);
        await ReadEndpointAsync(cancellationToken);
    }

    private async Task ReadEndpointAsync(CancellationToken cancellationToken)
    {
        ConnectionString = await _app!.GetConnectionStringAsync(FleetResources.Mqtt, cancellationToken) ?? "";
        var parts = new DbConnectionStringBuilder { ConnectionString = ConnectionString };
        Host = (string)parts["Host"];
        Port = int.Parse((string)parts["Port"], CultureInfo.InvariantCulture);
    }

    /// <summary>The admin answers dynamic security commands' responses and observes everything devices publish.</summary>
    private async Task ConnectAdminAsync(CancellationToken cancellationToken)
    {
        var admin = new MqttClientFactory().CreateMqttClient();
        admin.ApplicationMessageReceivedAsync += args =>
        {
            var message = args.ApplicationMessage;
            var payload = Encoding.UTF8.GetString(message.Payload);
            if (message.Topic == $"{ControlTopic}/response")
            {
                _controlAnswer?.TrySetResult(payload);
            }
            else
            {
                Seen.Enqueue(new SeenMessage(message.Topic, payload, message.ContentType));
            }

            return Task.CompletedTask;
        };
        var result = await admin.ConnectAsync(MqttAdminConnection.Options(ConnectionString), cancellationToken);
        result.ResultCode.ShouldBe(MqttClientConnectResultCode.Success);
        await admin.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter($"{ControlTopic}/response", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter($"{FleetMqtt.Root}/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .Build(), cancellationToken);
        _admin = admin;
    }

    public static T Read<T>(SeenMessage message) => JsonSerializer.Deserialize<T>(message.Payload, JsonSerializerOptions.Web)!;

    public async ValueTask DisposeAsync()
    {
        _admin?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _control.Dispose();
        TestDirectories.Delete(_stateDirectory);
    }
}
