using Fleet.DeviceSim.Models;

namespace Fleet.Tests.DeviceSim;

public sealed class DeviceModelTests
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
    private static readonly City Munich = City.All.Single(city => city.Name == "Munich");

    /// <summary>Believable bounds per metric: what a real device of the kind could report.</summary>
    private static readonly Dictionary<string, (double Min, double Max)> Bounds = new()
    {
        ["temperature_c"] = (5, 40),
        ["humidity_pct"] = (5, 100),
        ["voltage_v"] = (10, 500),
        ["current_a"] = (0, 3000),
        ["power_w"] = (0, 600_000),
        ["power_factor"] = (0.5, 1),
        ["frequency_hz"] = (49.5, 60.5),
        ["energy_kwh"] = (0, 1_000_000),
        ["bitrate_kbps"] = (50, 12_000),
        ["fps"] = (10, 30),
        ["storage_used_pct"] = (0, 100),
        ["motion_events"] = (0, 200),
        ["locked"] = (0, 1),
        ["door_events"] = (0, 100),
        ["speed_kmh"] = (0, 130),
        ["heading_deg"] = (0, 360),
        ["odometer_km"] = (0, 10_000),
    };

    public static TheoryData<string, string[]> ModelMetrics => new()
    {
        { TemperatureHumiditySensor.TypeName, ["temperature_c", "humidity_pct"] },
        { AcPowerMeter.TypeName, ["voltage_v", "current_a", "power_w", "power_factor", "frequency_hz", "energy_kwh"] },
        { DcPowerMeter.TypeName, ["voltage_v", "current_a", "power_w", "energy_kwh"] },
        { Camera.TypeName, ["bitrate_kbps", "fps", "storage_used_pct", "motion_events"] },
        { SmartLock.TypeName, ["locked", "door_events"] },
        { Tracker.TypeName, ["speed_kmh", "heading_deg", "odometer_km"] },
    };

    /// <summary>Two days of readings every five minutes, from one device of <paramref name="type"/>.</summary>
    private static List<(SensorClock At, Dictionary<string, double> Metrics)> TwoDays(string type, FleetPreset preset, int seed = 1)
    {
        var random = new Random(seed);
        var model = preset.CreateModel(type, random, Munich);
        var position = new Position(Munich.Lat, Munich.Lon);
        var readings = new List<(SensorClock, Dictionary<string, double>)>();
        for (var minute = 0; minute < 2 * 24 * 60; minute += 5)
        {
            var at = SensorClock.At(Monday.AddMinutes(minute), 5 / 60.0, Munich.Lon);
            model.Move(position, 5 / 60.0, random);
            var metrics = new Dictionary<string, double>();
            model.Read(at, random, metrics);
            readings.Add((at, metrics));
        }

        return readings;
    }

    [Theory]
    [MemberData(nameof(ModelMetrics))]
    public void Every_model_reports_its_metrics_as_finite_numbers_in_believable_ranges(string type, string[] metrics)
    {
        foreach (var preset in FleetPreset.All)
        {
            foreach (var (_, reading) in TwoDays(type, preset))
            {
                reading.Keys.ShouldBe(metrics, ignoreOrder: true);
                foreach (var (name, value) in reading)
                {
                    double.IsFinite(value).ShouldBeTrue($"{type}.{name} = {value}");
                    value.ShouldBeInRange(Bounds[name].Min, Bounds[name].Max, $"{type}.{name} in {preset.Name}");
                }
            }
        }
    }

    [Fact]
    public void Rooms_are_warmer_in_the_afternoon_than_before_dawn_and_drier_when_warm()
    {
        var readings = TwoDays(TemperatureHumiditySensor.TypeName, FleetPreset.Office);

        var afternoon = readings.Where(r => r.At.LocalHour is >= 14 and < 16).ToList();
        var night = readings.Where(r => r.At.LocalHour is >= 2 and < 4).ToList();
        afternoon.Average(r => r.Metrics["temperature_c"]).ShouldBeGreaterThan(night.Average(r => r.Metrics["temperature_c"]) + 1);
        afternoon.Average(r => r.Metrics["humidity_pct"]).ShouldBeLessThan(night.Average(r => r.Metrics["humidity_pct"]));
    }

    [Theory]
    [InlineData("home", 19.5, 3.5)]
    [InlineData("office", 12, 2)]
    public void A_sites_load_follows_its_profile(string preset, double peakHour, double quietHour)
    {
        var readings = TwoDays(AcPowerMeter.TypeName, FleetPreset.Named(preset));

        double Mean(double hour) => readings.Where(r => Math.Abs(r.At.LocalHour - hour) < 0.5).Average(r => r.Metrics["power_w"]);
        Mean(peakHour).ShouldBeGreaterThan(2 * Mean(quietHour));
    }

    [Fact]
    public void Ac_power_is_volts_times_amps_times_power_factor_and_energy_only_grows()
    {
        var readings = TwoDays(AcPowerMeter.TypeName, FleetPreset.Factory).Select(r => r.Metrics).ToList();

        foreach (var reading in readings)
        {
            (reading["voltage_v"] * reading["current_a"] * reading["power_factor"]).ShouldBe(reading["power_w"], reading["power_w"] * 0.01 + 1);
        }

        readings.Select(r => r["energy_kwh"]).ShouldBeInOrder(SortDirection.Ascending);
        readings.Select(r => r["frequency_hz"]).Average().ShouldBe(50, 0.01);
    }

    [Fact]
    public void A_camera_loops_its_storage_and_sees_more_motion_by_day()
    {
        var readings = TwoDays(Camera.TypeName, FleetPreset.Office);

        readings.Max(r => r.Metrics["storage_used_pct"]).ShouldBeLessThanOrEqualTo(95);
        readings.Where(r => r.At.LocalHour is >= 11 and < 17).Sum(r => r.Metrics["motion_events"])
            .ShouldBeGreaterThan(readings.Where(r => r.At.LocalHour is < 4).Sum(r => r.Metrics["motion_events"]));
    }

    [Fact]
    public void A_tracker_drives_away_from_its_depot_but_stays_in_its_area()
    {
        var random = new Random(3);
        var tracker = new Tracker(random);
        var position = new Position(Munich.Lat, Munich.Lon);
        var furthest = 0.0;
        for (var minute = 0; minute < 6 * 60; minute++)
        {
            tracker.Move(position, 1 / 60.0, random);
            furthest = Math.Max(furthest, position.KmFromHome());
        }

        furthest.ShouldBeGreaterThan(2);
        furthest.ShouldBeLessThan(40);
        var odometer = new Dictionary<string, double>();
        tracker.Read(SensorClock.At(Monday, 0, Munich.Lon), random, odometer);
        odometer["odometer_km"].ShouldBeGreaterThan(20);
    }

    [Fact]
    public void A_fixed_device_only_shows_gps_noise_around_home()
    {
        var random = new Random(3);
        var camera = new Camera(random);
        var position = new Position(Munich.Lat, Munich.Lon);
        for (var minute = 0; minute < 600; minute++)
        {
            camera.Move(position, 1 / 60.0, random);
            position.KmFromHome().ShouldBeLessThan(0.05);
        }
    }
}
