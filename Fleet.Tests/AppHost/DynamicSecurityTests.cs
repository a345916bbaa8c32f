using System.Text.Json.Nodes;
using Fleet.AppHost;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.AppHost;

/// <summary>The AppHost's upkeep of Mosquitto's dynamic security file, with Debian's mosquitto_ctrl.</summary>
public sealed class DynamicSecurityTests : IDisposable
{
    private static readonly string[] ControlPaths = ["/usr/bin/mosquitto_ctrl", "/usr/local/bin/mosquitto_ctrl"];
    private readonly string _directory = TestDirectories.Create("dynsec");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private string File => Path.Combine(_directory, MqttBroker.DynamicSecurityFileName);

    [Fact]
    public async Task A_new_admin_password_replaces_only_the_admins_hash_and_keeps_every_other_client_and_role()
    {
        var control = ControlPaths.FirstOrDefault(System.IO.File.Exists);
        Assert.SkipWhen(control is null, "mosquitto_ctrl is not installed (apt-get install mosquitto).");
        await DynamicSecurity.EnsureAdminAsync(control!, File, MqttBroker.AdminUser, "first-password", Cancellation);
        System.IO.File.GetUnixFileMode(File).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite, "mosquitto_ctrl itself writes it world-readable");
        var root = JsonNode.Parse(await System.IO.File.ReadAllTextAsync(File, Cancellation))!;
        root["clients"]!.AsArray().Add(new JsonObject { ["username"] = "device-1", ["password"] = "kept", ["salt"] = "kept", ["iterations"] = 101 });
        root["roles"]!.AsArray().Add(new JsonObject { ["rolename"] = "devices", ["acls"] = new JsonArray() });
        await System.IO.File.WriteAllTextAsync(File, root.ToJsonString(), Cancellation);
        var admin = Client(root, MqttBroker.AdminUser)!.ToJsonString();

        await DynamicSecurity.EnsureAdminAsync(control!, File, MqttBroker.AdminUser, "first-password", Cancellation);
        (await System.IO.File.ReadAllTextAsync(File, Cancellation)).ShouldBe(root.ToJsonString(), "the same password rewrites nothing");

        await DynamicSecurity.EnsureAdminAsync(control!, File, MqttBroker.AdminUser, "second-password", Cancellation);
        var after = JsonNode.Parse(await System.IO.File.ReadAllTextAsync(File, Cancellation))!;
        Client(after, "device-1")!["password"]!.GetValue<string>().ShouldBe("kept");
        after["roles"]!.AsArray().Select(role => role!["rolename"]!.GetValue<string>()).ShouldBe(["admin", "devices"]);
        Client(after, MqttBroker.AdminUser)!.ToJsonString().ShouldNotBe(admin);
        Client(after, MqttBroker.AdminUser)!["roles"]!.ToJsonString().ShouldBe(Client(root, MqttBroker.AdminUser)!["roles"]!.ToJsonString());
        System.IO.File.GetUnixFileMode(File).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.GetFiles(_directory).ShouldBe([File], "no scratch file is left behind");
    }

    private static JsonNode? Client(JsonNode root, string user) =>
        root["clients"]!.AsArray().FirstOrDefault(client => client!["username"]!.GetValue<string>() == user);

    public void Dispose() => TestDirectories.Delete(_directory);
}
