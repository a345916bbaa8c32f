using System.Net;
using System.Net.Http.Json;
using Fleet.DeviceSim;
using Fleet.DeviceSim.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fleet.Tests.DeviceSim;

public sealed class FirmwareFaultTests : IAsyncDisposable
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;
    private WebApplication? _app;

    [Fact]
    public void A_boot_failure_hits_its_share_of_devices_of_its_version_and_revision_only_and_the_same_ones_every_time()
    {
        var faults = new FaultInjector(new FaultSettings { BootFailures = [new BootFailureFault { Version = "2.0.1", HardwareRevision = "rev-b", Percent = 30 }] }, seed: 7);
        var again = new FaultInjector(faults.Current, seed: 7);

        var hit = Enumerable.Range(1, 10_000).Where(index => faults.FailsToBoot(index, "rev-b", "2.0.1")).ToList();

        (hit.Count / 100.0).ShouldBe(30, 1.5);
        hit.ShouldAllBe(index => again.FailsToBoot(index, "REV-B", "2.0.1"));
        Enumerable.Range(1, 1000).ShouldAllBe(index => !faults.FailsToBoot(index, "rev-a", "2.0.1") && !faults.FailsToBoot(index, "rev-b", "2.0.2"));
    }

    [Fact]
    public void A_boot_failure_without_a_revision_hits_every_revision()
    {
        var faults = new FaultInjector(new FaultSettings { BootFailures = [new BootFailureFault { Version = "2.0.1" }] }, seed: 7);

        faults.FailsToBoot(3, "rev-a", "2.0.1").ShouldBeTrue();
        faults.FailsToBoot(3, "rev-c", "2.0.1").ShouldBeTrue();
    }

    [Fact]
    public void Corrupt_and_cut_downloads_hit_their_share_and_battery_drain_follows_the_running_version()
    {
        var faults = new FaultInjector(new FaultSettings
        {
            CorruptDownloadPercent = 5,
            CutDownloadPercent = 50,
            BatteryDrain = [new BatteryDrainFault { Version = "2.0.2", Multiplier = 2 }],
        }, seed: 3);

        (Enumerable.Range(1, 10_000).Count(faults.CorruptsDownload) / 100.0).ShouldBe(5, 1);
        (Enumerable.Range(1, 10_000).Count(faults.CutsDownload) / 100.0).ShouldBe(50, 2);
        faults.For(1, "2.0.2").BatteryDrainMultiplier.ShouldBe(2);
        faults.For(1, "2.0.1").BatteryDrainMultiplier.ShouldBe(1);
    }

    [Fact]
    public void Error_reports_hit_their_share_of_devices_on_their_version_and_revision_only()
    {
        var faults = new FaultInjector(new FaultSettings { ErrorReports = [new ErrorReportFault { Version = "2.0.3", HardwareRevision = "rev-b", Percent = 30 }] }, seed: 5);

        var hit = Enumerable.Range(1, 10_000).Where(i => faults.For(i, "2.0.3", "rev-b").ReportsErrors).ToList();

        (hit.Count / 100.0).ShouldBe(30, 2);
        hit.ShouldAllBe(i => !faults.For(i, "2.0.2", "rev-b").ReportsErrors && !faults.For(i, "2.0.3", "rev-a").ReportsErrors);
        hit.ShouldBe(Enumerable.Range(1, 10_000).Where(i => faults.For(i, "2.0.3", "REV-B").ReportsErrors));
    }

    [Fact]
    public void A_crash_fault_gives_its_share_of_devices_on_its_version_their_uptime_before_each_reset()
    {
        var faults = new FaultInjector(new FaultSettings { Crashes = [new CrashFault { Version = "2.0.5", Percent = 50, AfterSeconds = 20 }] }, seed: 9);

        var crashing = Enumerable.Range(1, 10_000).Where(i => faults.For(i, "2.0.5", "rev-c").CrashAfter is not null).ToList();

        (crashing.Count / 100.0).ShouldBe(50, 2);
        crashing.ShouldAllBe(i => faults.For(i, "2.0.5", "rev-a").CrashAfter == TimeSpan.FromSeconds(20) && faults.For(i, "2.0.4", "rev-a").CrashAfter == null);
    }

    [Fact]
    public void A_battery_on_a_draining_firmware_empties_faster()
    {
        var profile = new Fleet.DeviceSim.Models.PowerProfile(DrainPerHour: 1);
        var normal = new Fleet.DeviceSim.Models.Battery(profile, 80);
        var drained = new Fleet.DeviceSim.Models.Battery(profile, 80);

        normal.Advance(10, 0, faulty: false);
        drained.Advance(10, 0, faulty: false, drainMultiplier: 2);

        (normal.Level, drained.Level).ShouldBe((70, 60));
    }

    [Fact]
    public async Task Firmware_faults_are_set_while_running_and_bad_ones_are_refused_naming_the_item_and_field()
    {
        using var http = await StartAsync();
        var settings = new FaultSettings
        {
            CorruptDownloadPercent = 5,
            BootFailures = [new BootFailureFault { Version = "2.0.1", HardwareRevision = "rev-b", Percent = 30 }],
            BatteryDrain = [new BatteryDrainFault { Version = "2.0.2", Multiplier = 2 }],
            ErrorReports = [new ErrorReportFault { Version = "2.0.3", Percent = 10 }],
        };

        using (var accepted = await http.PutAsJsonAsync("/faults", settings, Cancellation))
        {
            accepted.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await http.GetFromJsonAsync<FaultSettings>("/faults", Cancellation)).ShouldBe(settings);
        foreach (var (body, field) in new[]
        {
            ("""{"bootFailures": [{"version": "2.0.1", "percent": 130}]}""", "bootFailures[0].percent"),
            ("""{"bootFailures": [{"percent": 30}]}""", "bootFailures[0].version"),
            ("""{"batteryDrain": [{"version": "2.0.2", "multiplier": -1}]}""", "batteryDrain[0].multiplier"),
            ("""{"corruptDownloadPercent": 101}""", "corruptDownloadPercent"),
            ("""{"errorReports": [{"version": "2.0.3", "percent": -1}]}""", "errorReports[0].percent"),
            ("""{"crashes": [{"version": "2.0.5", "afterSeconds": 0}]}""", "crashes[0].afterSeconds"),
            ("""{"bootFailures": [{"version": "2.0.1", "bogus": 1}]}""", "bootFailures[0].bogus"),
        })
        {
            using var refused = await http.PutAsync("/faults", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Cancellation);
            refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest, body);
            (await refused.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation))!.Errors.Keys.ShouldContain(field, body);
        }

        (await http.GetFromJsonAsync<FaultSettings>("/faults", Cancellation)).ShouldBe(settings);
    }

    [Fact]
    public void Firmware_faults_come_from_repeatable_command_line_options()
    {
        var arguments = SimulatorCommandLine.Translate(
            ["--boot-failure", "2.0.1:rev-b:30", "--boot-failure=2.0.3:*:5", "--battery-drain", "2.0.2:2", "--corrupt-downloads", "5", "--reboot-seconds", "2",
             "--error-reports", "2.0.4:*:40", "--crash", "2.0.5:rev-a:50:20"])!;

        var options = Bind(arguments).Value;

        options.Simulator.Faults.ShouldSatisfyAllConditions(
            f => f.BootFailures.ShouldBe([
                new BootFailureFault { Version = "2.0.1", HardwareRevision = "rev-b", Percent = 30 },
                new BootFailureFault { Version = "2.0.3", Percent = 5 }]),
            f => f.BatteryDrain.ShouldBe([new BatteryDrainFault { Version = "2.0.2", Multiplier = 2 }]),
            f => f.ErrorReports.ShouldBe([new ErrorReportFault { Version = "2.0.4", Percent = 40 }]),
            f => f.Crashes.ShouldBe([new CrashFault { Version = "2.0.5", HardwareRevision = "rev-a", Percent = 50, AfterSeconds = 20 }]),
            f => f.CorruptDownloadPercent.ShouldBe(5));
        options.Simulator.RebootSeconds.ShouldBe(2);
        Should.Throw<ArgumentException>(() => SimulatorCommandLine.Translate(["--boot-failure", "2.0.1:30"]));
        Should.Throw<OptionsValidationException>(() => Bind(SimulatorCommandLine.Translate(["--boot-failure", "2.0.1:rev-b:300"])!).Value)
            .Message.ShouldContain("Percent");
    }

    private static IOptions<SimulatorOptions> Bind(IReadOnlyList<string> arguments)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Fleet:EnrollmentToken"] = "token" })
            .AddCommandLine([.. arguments])
            .Build();
        var services = new ServiceCollection();
        services.AddOptions<SimulatorOptions>().Bind(configuration.GetSection(SimulatorOptions.Section)).ValidateDataAnnotations();
        return services.BuildServiceProvider().GetRequiredService<IOptions<SimulatorOptions>>();
    }

    private async Task<HttpClient> StartAsync()
    {
        _app = await FaultsApiHost.StartAsync(new FaultSettings(), Cancellation);
        return FaultsApiHost.Client(_app);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
