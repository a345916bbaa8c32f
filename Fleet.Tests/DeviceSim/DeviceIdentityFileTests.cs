using System.Text.Json;
using Fleet.DeviceSim.Identity;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.DeviceSim;

public sealed class DeviceIdentityFileTests : IDisposable
{
    private readonly string _directory = TestDirectories.Create("sim-state");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static Dictionary<string, DeviceIdentity> Identities(int count) =>
        Enumerable.Range(1, count).ToDictionary(i => $"SIM-{i:D6}", i => new DeviceIdentity(Guid.NewGuid(), $"key-{i}-{Guid.NewGuid():N}"));

    [Fact]
    public async Task Identities_round_trip_through_an_owner_only_file()
    {
        var file = new DeviceIdentityFile(Path.Combine(_directory, "nested", "devices.json"));
        var identities = Identities(100);

        await file.SaveAsync(identities, Cancellation);
        var loaded = await file.LoadAsync(Cancellation);

        loaded.ShouldBe(identities, ignoreOrder: true);
        File.GetUnixFileMode(file.Path).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.GetFiles(Path.GetDirectoryName(file.Path)!).ShouldBe([file.Path]);
    }

    [Fact]
    public async Task Saving_again_replaces_the_file_whole_and_keeps_it_owner_only()
    {
        var file = new DeviceIdentityFile(Path.Combine(_directory, "devices.json"));
        await file.SaveAsync(Identities(50), Cancellation);
        File.SetUnixFileMode(file.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var second = Identities(3);

        await file.SaveAsync(second, Cancellation);

        (await file.LoadAsync(Cancellation)).ShouldBe(second, ignoreOrder: true);
        File.GetUnixFileMode(file.Path).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.GetFiles(_directory).ShouldBe([file.Path]);
    }

    [Fact]
    public async Task No_file_yet_means_no_identities_and_a_foreign_file_is_reported()
    {
        var file = new DeviceIdentityFile(Path.Combine(_directory, "devices.json"));
        (await file.LoadAsync(Cancellation)).ShouldBeEmpty();

        await File.WriteAllTextAsync(file.Path, """{"something": "else"}""", Cancellation);

        await Should.ThrowAsync<JsonException>(() => file.LoadAsync(Cancellation));
    }

    [Fact]
    public void Each_fleet_gets_its_own_default_file_named_without_revealing_the_token()
    {
        var first = DeviceIdentityFile.DefaultPath("/app", "token-one");
        var second = DeviceIdentityFile.DefaultPath("/app", "token-two");

        first.ShouldStartWith("/app/.state/devices-");
        first.ShouldNotBe(second);
        first.ShouldNotContain("token");
        DeviceIdentityFile.DefaultPath("/app", "token-one").ShouldBe(first);
    }

    [Fact]
    public void An_identity_never_prints_its_key()
    {
        var identity = new DeviceIdentity(Guid.NewGuid(), "secret-key-value");

        identity.ToString().ShouldNotContain("secret-key-value");
        identity.ToString().ShouldContain(identity.DeviceId.ToString());
    }

    public void Dispose() => TestDirectories.Delete(_directory);
}
