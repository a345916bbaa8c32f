using System.Data.Common;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Fleet.AppHost;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;

namespace Fleet.Tests.AppHost;

/// <summary>The local Mosquitto that the AppHost runs under DCP as <c>mqtt</c>, started from the AppHost's own app model.</summary>
public sealed class MqttBrokerTests : IDisposable
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly string _stateDirectory = TestDirectories.Create("mqtt");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private string DataDirectory => Path.Combine(_stateDirectory, FleetResources.Mqtt);

    [Fact]
    public async Task Broker_refuses_anonymous_clients_and_a_wrong_password_and_accepts_the_admin()
    {
        await using var app = await StartBrokerAsync("first-password-0123456789");
        var connectionString = await app.GetConnectionStringAsync(FleetResources.Mqtt, Cancellation) ?? "";
        var parts = new DbConnectionStringBuilder { ConnectionString = connectionString };
        parts["Host"].ShouldBe("127.0.0.1");
        parts["Username"].ShouldBe(MqttBroker.AdminUser);

        (await ConnectAsync(connectionString)).ShouldBe(MqttClientConnectResultCode.Success);
        (await ConnectAsync(WithPassword(connectionString, "not-the-password"))).ShouldBe(MqttClientConnectResultCode.NotAuthorized);
        var anonymous = new MqttClientOptionsBuilder()
            .WithTcpServer((string)parts["Host"], int.Parse((string)parts["Port"], System.Globalization.CultureInfo.InvariantCulture))
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .Build();
        (await ConnectAsync(anonymous)).ShouldBe(MqttClientConnectResultCode.NotAuthorized);
    }

    [Fact]
    public async Task Its_data_folder_config_and_dynamic_security_file_are_owner_only()
    {
        await using var app = await StartBrokerAsync("first-password-0123456789");

        File.GetUnixFileMode(DataDirectory).ShouldBe(OwnerOnlyFolder);
        File.GetUnixFileMode(Path.Combine(DataDirectory, MqttBroker.DynamicSecurityFileName)).ShouldBe(OwnerOnlyFile);
        File.GetUnixFileMode(Path.Combine(DataDirectory, "mosquitto.conf")).ShouldBe(OwnerOnlyFile);
        var configuration = await File.ReadAllLinesAsync(Path.Combine(DataDirectory, "mosquitto.conf"), Cancellation);
        configuration.ShouldContain(line => line.StartsWith("listener ", StringComparison.Ordinal) && line.EndsWith(" 127.0.0.1", StringComparison.Ordinal));
        configuration.ShouldContain("allow_anonymous false");
    }

    [Fact]
    public async Task A_restart_keeps_the_admin_password_and_a_changed_password_parameter_replaces_it()
    {
        string before;
        await using (var first = await StartBrokerAsync("first-password-0123456789"))
        {
            before = await first.GetConnectionStringAsync(FleetResources.Mqtt, Cancellation) ?? "";
        }

        File.Exists(Path.Combine(DataDirectory, "mosquitto.db")).ShouldBeTrue("the broker saves its persistence file in the state folder when it stops");
        var fileBefore = await File.ReadAllTextAsync(Path.Combine(DataDirectory, MqttBroker.DynamicSecurityFileName), Cancellation);
        await using (var again = await StartBrokerAsync("first-password-0123456789"))
        {
            (await ConnectAsync(await again.GetConnectionStringAsync(FleetResources.Mqtt, Cancellation) ?? "")).ShouldBe(MqttClientConnectResultCode.Success);
        }

        (await File.ReadAllTextAsync(Path.Combine(DataDirectory, MqttBroker.DynamicSecurityFileName), Cancellation))
            .ShouldBe(fileBefore, "an unchanged password leaves the file alone");

        await using var changed = await StartBrokerAsync("second-password-0123456789");
        var after = await changed.GetConnectionStringAsync(FleetResources.Mqtt, Cancellation) ?? "";
        (await ConnectAsync(after)).ShouldBe(MqttClientConnectResultCode.Success);
        (await ConnectAsync(WithPassword(after, "first-password-0123456789"))).ShouldBe(MqttClientConnectResultCode.NotAuthorized);
        File.GetUnixFileMode(Path.Combine(DataDirectory, MqttBroker.DynamicSecurityFileName)).ShouldBe(OwnerOnlyFile);
        before.ShouldNotBe(after);
    }

    /// <summary>The AppHost's model with only the broker kept, in this test's state folder; waits until its health check passes.</summary>
    private async Task<DistributedApplication> StartBrokerAsync(string password)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Fleet_AppHost>(
            [$"--state-dir={_stateDirectory}", "--Fleet:BackingServices=local", $"--Parameters:mqtt-password={password}"], Cancellation);
        foreach (var resource in builder.Resources.Where(resource => resource is not ParameterResource && resource.Name != FleetResources.Mqtt).ToList())
        {
            builder.Resources.Remove(resource);
        }

        var app = await builder.BuildAsync(Cancellation);
        await app.StartAsync(Cancellation);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        deadline.CancelAfter(TimeSpan.FromMinutes(1));
        await app.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceHealthyAsync(FleetResources.Mqtt, deadline.Token);
        return app;
    }

    private static string WithPassword(string connectionString, string password) =>
        new DbConnectionStringBuilder { ConnectionString = connectionString, ["Password"] = password }.ConnectionString;

    private static Task<MqttClientConnectResultCode> ConnectAsync(string connectionString) => ConnectAsync(MqttAdminConnection.Options(connectionString));

    /// <summary>The broker's CONNACK reason code.</summary>
    private static async Task<MqttClientConnectResultCode> ConnectAsync(MqttClientOptions options)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var result = await client.ConnectAsync(options, Cancellation);
        if (client.IsConnected)
        {
            await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), Cancellation);
        }

        return result.ResultCode;
    }

    public void Dispose() => TestDirectories.Delete(_stateDirectory);
}
