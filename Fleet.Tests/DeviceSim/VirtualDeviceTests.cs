using Fleet.DeviceSim;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Identity;

namespace Fleet.Tests.DeviceSim;

public sealed class VirtualDeviceTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    private static readonly SimulatorTuning EverySecond = new() { TelemetrySeconds = 1, HeartbeatSeconds = 5, JitterPercent = 0 };

    private static VirtualDevice RegisteredDevice(SimulatorTuning? tuning = null)
    {
        var device = new VirtualDevice(1, tuning ?? EverySecond, Start);
        device.Registered(new DeviceIdentity(Guid.NewGuid(), "key"), Start);
        return device;
    }

    /// <summary>Runs a device for <paramref name="seconds"/>, delivering every batch at once; returns what it sent.</summary>
    private static List<Fleet.Contracts.TelemetryReading> Run(VirtualDevice device, int seconds, DeviceFaults faults)
    {
        var sent = new List<Fleet.Contracts.TelemetryReading>();
        for (var second = 0; second <= seconds; second++)
        {
            var now = Start.AddSeconds(second);
            device.TakeDueReadings(now, faults);
            if (device.MaySendTelemetry(now))
            {
                var batch = device.PendingBatch().Readings!;
                sent.AddRange(batch);
                device.TelemetryDone(batch.Count);
            }
        }

        return sent;
    }

    private static int Gaps(IEnumerable<Fleet.Contracts.TelemetryReading> readings)
    {
        var seqs = readings.Select(r => r.Seq!.Value).ToList();
        return (int)(seqs[^1] - seqs[0] + 1 - seqs.Count);
    }

    [Fact]
    public void Without_faults_every_reading_is_sent_with_consecutive_sequence_numbers()
    {
        var sent = Run(RegisteredDevice(), 200, DeviceFaults.None);

        sent.Count.ShouldBeInRange(199, 201);
        Gaps(sent).ShouldBe(0);
        sent.Select(r => r.Seq).ShouldBeInOrder(SortDirection.Ascending);
    }

    [Fact]
    public void Dropped_readings_are_taken_but_never_sent_so_the_api_sees_gaps()
    {
        var sent = Run(RegisteredDevice(), 400, DeviceFaults.None with { DropPercent = 30 });

        Gaps(sent).ShouldBeInRange(80, 160);
        sent.Select(r => r.Seq).Distinct().Count().ShouldBe(sent.Count);
    }

    [Fact]
    public void Clock_skew_shifts_timestamps_and_nothing_else()
    {
        var straight = Run(RegisteredDevice(), 30, DeviceFaults.None);
        var skewed = Run(RegisteredDevice(), 30, DeviceFaults.None with { ClockSkew = TimeSpan.FromSeconds(-90) });

        skewed.Select(r => r.Seq).ShouldBe(straight.Select(r => r.Seq));
        skewed.Zip(straight).ShouldAllBe(pair => pair.First.Ts == pair.Second.Ts!.Value.AddSeconds(-90));
        skewed.Zip(straight).ShouldAllBe(pair => pair.First.Metrics!.SequenceEqual(pair.Second.Metrics!));
    }

    [Fact]
    public void Firmware_with_error_reports_adds_an_errors_metric_above_zero_to_every_reading_and_healthy_firmware_none()
    {
        var healthy = Run(RegisteredDevice(), 30, DeviceFaults.None);
        var erring = Run(RegisteredDevice(), 30, DeviceFaults.None with { ReportsErrors = true });

        healthy.ShouldNotBeEmpty();
        healthy.ShouldAllBe(r => !r.Metrics!.ContainsKey(VirtualDevice.ErrorMetric));
        erring.Count.ShouldBe(healthy.Count);
        erring.ShouldAllBe(r => r.Metrics![VirtualDevice.ErrorMetric] >= 1);
    }

    [Fact]
    public void After_a_429_the_device_keeps_its_readings_and_sends_nothing_before_retry_after()
    {
        var device = RegisteredDevice();
        device.TakeDueReadings(Start.AddSeconds(3), DeviceFaults.None);
        var pending = device.UnsentReadings;

        device.TelemetryRateLimited(Start.AddSeconds(3), TimeSpan.FromSeconds(20));
        device.TakeDueReadings(Start.AddSeconds(22), DeviceFaults.None);

        device.MaySendTelemetry(Start.AddSeconds(22)).ShouldBeFalse();
        device.UnsentReadings.ShouldBeGreaterThan(pending);
        device.MaySendTelemetry(Start.AddSeconds(24.1)).ShouldBeTrue();
        device.PendingBatch().Readings!.Select(r => r.Seq!.Value).ShouldBeInOrder(SortDirection.Ascending);
    }

    [Fact]
    public void A_device_that_cannot_deliver_keeps_at_most_its_buffer_and_loses_the_oldest()
    {
        var device = RegisteredDevice();

        var (taken, _, overflowed) = device.TakeDueReadings(Start.AddSeconds(VirtualDevice.MaxUnsentReadings + 30), DeviceFaults.None);

        device.UnsentReadings.ShouldBe(VirtualDevice.MaxUnsentReadings);
        (taken - overflowed).ShouldBe(VirtualDevice.MaxUnsentReadings);
    }

    [Fact]
    public void Backoff_doubles_with_jitter_up_to_a_minute_and_resets_after_success()
    {
        var device = RegisteredDevice();

        var waits = Enumerable.Range(0, 10).Select(_ => device.BackOff(Start).TotalSeconds).ToList();

        for (var attempt = 0; attempt < waits.Count; attempt++)
        {
            var full = Math.Min(60, Math.Pow(2, attempt));
            waits[attempt].ShouldBeInRange(full / 2, full);
        }

        device.HeartbeatSent(Start);
        device.BackOff(Start).TotalSeconds.ShouldBeLessThanOrEqualTo(1);
        device.BackOff(Start, retryAfter: TimeSpan.FromSeconds(30)).ShouldBe(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void An_offline_device_takes_no_readings_and_its_sequence_skips_the_time_away()
    {
        var device = RegisteredDevice();
        var before = Run(device, 10, DeviceFaults.None);

        device.StayOffline(Start.AddSeconds(100));
        device.TakeDueReadings(Start.AddSeconds(100), DeviceFaults.None).Taken.ShouldBe(0);
        device.TakeDueReadings(Start.AddSeconds(103), DeviceFaults.None);

        device.PendingBatch().Readings![0].Seq!.Value.ShouldBeGreaterThan(before[^1].Seq!.Value + 50);
    }

    [Fact]
    public void Heartbeats_report_battery_signal_uptime_and_position()
    {
        var device = RegisteredDevice();
        device.Advance(Start.AddMinutes(10), DeviceFaults.None);

        var heartbeat = device.Heartbeat(Start.AddMinutes(10));

        heartbeat.Battery.ShouldBeInRange(20, 100);
        heartbeat.Signal.ShouldBeInRange(-120, -40);
        heartbeat.UptimeS.ShouldBe(600);
        heartbeat.Location!.Lat.ShouldBe(device.Position.HomeLat, 0.01);
    }

    [Fact]
    public void A_battery_fault_makes_the_heartbeat_report_a_low_battery()
    {
        var device = RegisteredDevice();

        device.Advance(Start.AddSeconds(10), DeviceFaults.None with { BatteryFaulty = true });

        device.Heartbeat(Start.AddSeconds(10)).Battery.ShouldBeLessThan(20);
    }
}
