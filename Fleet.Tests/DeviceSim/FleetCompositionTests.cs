using Fleet.DeviceSim;
using Fleet.DeviceSim.Models;

namespace Fleet.Tests.DeviceSim;

public sealed class FleetCompositionTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    internal static VirtualDevice[] Fleet(int count, SimulatorTuning tuning, DateTimeOffset? now = null) =>
        Enumerable.Range(1, count).Select(index => new VirtualDevice(index, tuning, now ?? Start)).ToArray();

    private static IEnumerable<(string, string, string, string, double, double)> Attributes(IEnumerable<VirtualDevice> devices) =>
        devices.Select(d => (d.Serial, d.Type, d.HardwareRevision, d.Region, d.Position.HomeLat, d.Position.HomeLon));

    [Fact]
    public void The_same_seed_and_count_give_the_same_fleet_on_every_run()
    {
        var tuning = new SimulatorTuning { Seed = 7, Preset = "home" };

        var first = Fleet(300, tuning);
        var second = Fleet(300, tuning, Start.AddDays(3));

        Attributes(second).ShouldBe(Attributes(first));
        first.Select(d => d.Serial).ShouldBe(Enumerable.Range(1, 300).Select(i => $"SIM-{i:D6}"));
    }

    [Fact]
    public void One_device_in_ten_registers_as_green_the_rest_blue()
    {
        var fleet = Fleet(1000, new SimulatorTuning());

        fleet.Count(d => d.RegistrationRequest("token").Environment == "green").ShouldBe(100);
        fleet.Select(d => d.RegistrationRequest("token").Environment).Distinct().ShouldBe(["blue", "green"], ignoreOrder: true);
    }

    [Fact]
    public void Another_seed_gives_another_fleet()
    {
        var first = Fleet(300, new SimulatorTuning { Seed = 7 });
        var second = Fleet(300, new SimulatorTuning { Seed = 8 });

        first.Zip(second).Count(pair => pair.First.Type != pair.Second.Type || pair.First.Position.HomeLat != pair.Second.Position.HomeLat)
            .ShouldBeGreaterThan(250);
    }

    [Theory]
    [InlineData("home")]
    [InlineData("office")]
    [InlineData("factory")]
    public void A_preset_mixes_its_models_in_its_proportions(string name)
    {
        var preset = FleetPreset.Named(name);

        var devices = Fleet(5000, new SimulatorTuning { Preset = name });

        var byType = devices.GroupBy(d => d.Type).ToDictionary(g => g.Key, g => g.Count() / 5000.0);
        byType.Keys.ShouldBe(preset.Mix.Select(entry => entry.Type), ignoreOrder: true);
        foreach (var (type, share) in byType)
        {
            share.ShouldBe(preset.ShareOf(type), 0.025, $"share of {type} in {name}");
        }
    }

    [Fact]
    public void Presets_differ_a_factory_has_no_smart_locks_and_more_meters_than_a_home()
    {
        var home = Fleet(2000, new SimulatorTuning { Preset = "home" });
        var factory = Fleet(2000, new SimulatorTuning { Preset = "factory" });

        factory.ShouldNotContain(d => d.Type == SmartLock.TypeName);
        factory.Count(d => d.Type.EndsWith("power-meter", StringComparison.Ordinal))
            .ShouldBeGreaterThan(2 * home.Count(d => d.Type.EndsWith("power-meter", StringComparison.Ordinal)));
    }

    [Fact]
    public void Devices_are_spread_over_cities_in_three_regions_near_their_city()
    {
        var devices = Fleet(2000, new SimulatorTuning());

        devices.Select(d => d.Region).Distinct().ShouldBe(["eu-west", "us-east", "ap-south"], ignoreOrder: true);
        devices.Select(d => d.City.Name).Distinct().Count().ShouldBe(City.All.Count);
        devices.ShouldAllBe(d => new Position(d.City.Lat, d.City.Lon).KmTo(d.Position.HomeLat, d.Position.HomeLon) < 50);
        devices.Select(d => d.HardwareRevision).Distinct().ShouldBe(["rev-a", "rev-b", "rev-c"], ignoreOrder: true);
    }

    [Fact]
    public void Registration_carries_type_revision_region_and_home_location()
    {
        var device = Fleet(1, new SimulatorTuning { SerialPrefix = "LAB" })[0];

        var request = device.RegistrationRequest("token");

        request.ShouldSatisfyAllConditions(
            () => request.Serial.ShouldBe("LAB-000001"),
            () => request.Type.ShouldBe(device.Type),
            () => request.HardwareRevision.ShouldBe(device.HardwareRevision),
            () => request.Region.ShouldBe(device.Region),
            () => request.Location.ShouldBe(new Fleet.Contracts.GeoLocation(device.Position.HomeLat, device.Position.HomeLon)),
            () => request.Tags!.ShouldContain(device.Type));
    }
}
