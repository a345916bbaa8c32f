using System.Text.Json.Nodes;
using Fleet.Api.Devices;
using Fleet.Contracts;

namespace Fleet.Api.Mqtt;

/// <summary>
/// Keeps each device's MQTT identity in the broker in step with the registry: the broker's client for a device has the
/// device id as username and client id and the device key as password, and is enabled only while the device is active.
/// The broker's ACL file lets a client publish only under its own <c>fleet/{username}/</c> up topics and receive only its
/// own down topics; the api's service client gets <see cref="ServiceRole"/>. Without
/// <c>ConnectionStrings:mqtt</c> every call does nothing.
/// </summary>
public sealed class BrokerDeviceIdentities(BrokerControl? control)
{
    public const string ServiceRole = "fleet-service";
    private const string AlreadyExists = "already exists";

    public bool Enabled => control is not null;

    /// <summary>
    /// Once per start: devices receive only what the ACL file grants them (the plugin's default lets every client receive
    /// everything), and the api's service client may take shares of the devices' up topics and publish to their down
    /// topics. The service client is not the admin: giving the admin a role would make the broker drop its connections.
    /// </summary>
    public async Task EnsureServiceAccessAsync(MqttServiceAccount account, CancellationToken cancellationToken)
    {
        if (control is null)
        {
            return;
        }

        List<JsonObject> setup =
        [
            Command("setDefaultACLAccess", ("acls", new JsonArray(new JsonObject { ["acltype"] = "publishClientReceive", ["allow"] = false }))),
            Command("createRole", ("rolename", ServiceRole)),
            Grant("subscribePattern", $"$share/+/{FleetMqtt.Root}/#"),
            Grant("publishClientReceive", $"{FleetMqtt.Root}/#"),
            .. FleetMqtt.DeviceDownTopics.Select(kind => Grant("publishClientSend", $"{FleetMqtt.Root}/+/{kind}")),
            Command("createClient", ("username", account.Username), ("password", account.Password),
                ("roles", new JsonArray(new JsonObject { ["rolename"] = ServiceRole }))),
        ];
        Check(await control.SendAsync(setup, cancellationToken), tolerated: AlreadyExists);
    }

    /// <summary>The service client exists with another password (the admin's changed): it gets the current one.</summary>
    public async Task ResetServicePasswordAsync(MqttServiceAccount account, CancellationToken cancellationToken)
    {
        if (control is not null)
        {
            Check(await control.SendAsync([Command("setClientPassword", ("username", account.Username), ("password", account.Password))], cancellationToken));
        }
    }

    private static JsonObject Grant(string type, string topic) =>
        Command("addRoleACL", ("rolename", ServiceRole), ("acltype", type), ("topic", topic), ("allow", true), ("priority", 0));

    /// <summary>A new device or a new key: the broker's client gets the key, enabled or not by the lifecycle.</summary>
    public async Task ProvisionAsync(Guid deviceId, string deviceKey, DeviceLifecycle lifecycle, CancellationToken cancellationToken)
    {
        if (control is null)
        {
            return;
        }

        var username = deviceId.ToString();
        var created = await control.SendAsync(
            [Command("createClient", ("username", username), ("password", deviceKey), ("clientid", username))], cancellationToken);
        if (created[0] is { } error)
        {
            if (!error.Contains(AlreadyExists, StringComparison.OrdinalIgnoreCase))
            {
                throw new BrokerChangeFailedException($"The MQTT broker refused the device's identity: {error}");
            }

            // Re-enrollment: the new key replaces the old one, and the broker drops a connection made with the old one.
            Check(await control.SendAsync([Command("setClientPassword", ("username", username), ("password", deviceKey))], cancellationToken));
        }
        else if (lifecycle == DeviceLifecycle.Active)
        {
            // A new client is enabled already; every change costs the broker a rewrite of its whole file, so none is wasted.
            return;
        }

        await ApplyLifecycleAsync(deviceId, lifecycle, cancellationToken);
    }

    /// <summary>Active devices may connect; new and suspended ones are refused (and a connected one is dropped); retired ones are deleted.</summary>
    public async Task ApplyLifecycleAsync(Guid deviceId, DeviceLifecycle lifecycle, CancellationToken cancellationToken)
    {
        if (control is null)
        {
            return;
        }

        var username = deviceId.ToString();
        var command = lifecycle switch
        {
            DeviceLifecycle.Active => Command("enableClient", ("username", username)),
            DeviceLifecycle.Retired => Command("deleteClient", ("username", username)),
            _ => Command("disableClient", ("username", username)),
        };
        // A device registered before the broker existed has no client there: nothing to enable, disable or delete.
        Check(await control.SendAsync([command], cancellationToken), tolerated: "not found");
    }

    private static JsonObject Command(string name, params (string Key, JsonNode? Value)[] fields)
    {
        var command = new JsonObject { ["command"] = name };
        foreach (var (key, value) in fields)
        {
            command[key] = value;
        }

        return command;
    }

    private static void Check(IReadOnlyList<string?> errors, string? tolerated = null)
    {
        if (errors.FirstOrDefault(error => error is not null && (tolerated is null || !error.Contains(tolerated, StringComparison.OrdinalIgnoreCase))) is { } refused)
        {
            throw new BrokerChangeFailedException($"The MQTT broker refused a change: {refused}");
        }
    }
}
