using Fleet.DeviceSim.Models;

namespace Fleet.Tests.DeviceSim;

public sealed class BatteryTests
{
    public static TheoryData<string> RechargeableModels => [Camera.TypeName, SmartLock.TypeName, Tracker.TypeName];

    private static DeviceModel Model(string type) => FleetPreset.Home.CreateModel(type, new Random(5), City.All[0]);

    [Theory]
    [MemberData(nameof(RechargeableModels))]
    public void Rechargeable_batteries_drain_then_charge_back_to_full_and_never_report_low_in_normal_use(string type)
    {
        var model = Model(type);
        var battery = new Battery(model.Power, 60);
        var levels = new List<double>();
        for (var minute = 0; minute < 7 * 24 * 60; minute++)
        {
            if (minute % 10 == 0)
            {
                model.Read(new SensorClock(DateTimeOffset.UnixEpoch.AddMinutes(minute), 10 / 60.0, 13), new Random(minute), []);
            }

            battery.Advance(1 / 60.0, model.TakeExtraDrain(), faulty: false);
            levels.Add(battery.Level);
        }

        levels.Min().ShouldBeGreaterThan(25, "below 20 % the API counts a device at-risk");
        levels.Max().ShouldBe(100);
        var drains = levels.Zip(levels.Skip(1)).Count(pair => pair.Second < pair.First);
        var charges = levels.Zip(levels.Skip(1)).Count(pair => pair.Second > pair.First);
        drains.ShouldBeGreaterThan(0);
        charges.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Locks_use_more_battery_than_room_sensors()
    {
        Model(SmartLock.TypeName).Power.DrainPerHour.ShouldBeGreaterThan(50 * Model(TemperatureHumiditySensor.TypeName).Power.DrainPerHour);
    }

    [Theory]
    [InlineData("ac-power-meter")]
    [InlineData("dc-power-meter")]
    public void Mains_powered_meters_stay_full(string type)
    {
        var battery = new Battery(Model(type).Power, 40);

        battery.Advance(500, 0, faulty: false);

        battery.Level.ShouldBe(100);
    }

    [Fact]
    public void A_primary_cell_drains_slowly_and_does_not_recharge()
    {
        var battery = new Battery(Model(TemperatureHumiditySensor.TypeName).Power, 80);

        battery.Advance(24 * 30, 0, faulty: false);

        battery.Level.ShouldBeInRange(70, 79.9);
        battery.Charging.ShouldBeFalse();
    }

    [Theory]
    [InlineData("camera")]
    [InlineData("temperature-sensor")]
    [InlineData("ac-power-meter")]
    public void A_battery_fault_reports_below_twenty_percent_at_once_and_clearing_it_restores_the_battery(string type)
    {
        var battery = new Battery(Model(type).Power, 90);

        battery.Advance(1 / 3600.0, 0, faulty: true);
        battery.Level.ShouldBeLessThan(20);
        battery.Advance(1, 0, faulty: true);
        battery.Level.ShouldBeLessThan(5);

        battery.Advance(4, 0, faulty: false);
        battery.Level.ShouldBeGreaterThan(50);
    }

    [Fact]
    public void Signal_strength_wanders_within_radio_limits()
    {
        var signal = new SignalStrength(-80);
        var random = new Random(1);
        var seen = new HashSet<int>();
        for (var i = 0; i < 1000; i++)
        {
            signal.Wander(random);
            signal.Dbm.ShouldBeInRange(-120, -40);
            seen.Add(signal.Dbm);
        }

        seen.Count.ShouldBeGreaterThan(5);
    }
}
