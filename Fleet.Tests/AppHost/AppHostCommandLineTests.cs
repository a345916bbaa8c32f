using Fleet.AppHost;

namespace Fleet.Tests.AppHost;

public sealed class AppHostCommandLineTests
{
    [Fact]
    public void Fleet_options_become_configuration_and_Aspire_options_pass_through()
    {
        var parsed = AppHostCommandLine.Parse(["--devices", "500", "--api-replicas=2", "--state-dir", "/tmp/x", "--publisher", "manifest", "--output-path", "/tmp/m.json", "--Fleet:Telemetry:Acknowledge=Logged", "--no-dashboard"]);

        parsed.AspireArgs.ShouldBe(["--Fleet:Devices=500", "--Fleet:ApiReplicas=2", "--Fleet:StateDir=/tmp/x", "--publisher=manifest", "--output-path=/tmp/m.json", "--Fleet:Telemetry:Acknowledge=Logged"]);
        parsed.DashboardDisabled.ShouldBeTrue();
        parsed.Help.ShouldBeFalse();
    }

    [Theory]
    [InlineData("--no-such-option", "unknown option '--no-such-option'")]
    [InlineData("stray", "unexpected argument 'stray'")]
    [InlineData("--devices", "option '--devices' needs a value")]
    public void Bad_arguments_are_refused_with_one_clear_message(string argument, string message)
    {
        Should.Throw<AppHostUsageException>(() => AppHostCommandLine.Parse([argument])).Message.ShouldContain(message);
    }

    [Fact]
    public void An_unknown_publisher_is_refused_before_Aspire_sees_it() =>
        Should.Throw<AppHostUsageException>(() => AppHostCommandLine.Parse(["--publisher", "helm"])).Message.ShouldContain("manifest or kustomize");

    [Theory]
    [InlineData(null, 25)]
    [InlineData("1", 1)]
    [InlineData("100000", 100_000)]
    public void Device_counts_in_range_are_read(string? value, int expected) =>
        AppHostCommandLine.ReadBounded(AppHostCommandLine.DevicesKey, value, 25).ShouldBe(expected);

    [Theory]
    [InlineData("0", "--devices must be from 1 to 100000; got 0.")]
    [InlineData("lots", "--devices must be a whole number from 1 to 100000; got 'lots'.")]
    [InlineData("-5", "--devices must be a whole number")]
    public void Device_counts_out_of_range_name_the_option_and_its_range(string value, string message) =>
        Should.Throw<AppHostUsageException>(() => AppHostCommandLine.ReadBounded(AppHostCommandLine.DevicesKey, value, 25)).Message.ShouldContain(message);
}
