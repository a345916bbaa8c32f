using Fleet.AppHost.Hosting;

namespace Fleet.Tests.AppHost;

public sealed class AppHostCommandLineTests
{
    [Theory]
    [InlineData(new[] { "--devices", "7" }, "Fleet:Devices", "7")]
    [InlineData(new[] { "--devices=7" }, "Fleet:Devices", "7")]
    [InlineData(new[] { "--api-replicas", "3" }, "Fleet:ApiReplicas", "3")]
    [InlineData(new[] { "--state-dir", "/tmp/x" }, "Fleet:StateDir", "/tmp/x")]
    [InlineData(new[] { "--ConnectionStrings:cache=localhost:6379" }, "ConnectionStrings:cache", "localhost:6379")]
    [InlineData(new[] { "--publisher", "manifest" }, "Publishing:Publisher", "manifest")]
    [InlineData(new[] { "--output-path", "deploy/k8s" }, "Publishing:OutputPath", "deploy/k8s")]
    public void Known_options_map_to_configuration_keys(string[] args, string key, string value)
    {
        AppHostCommandLine.Parse(args).Configuration[key].ShouldBe(value);
    }

    [Theory]
    [InlineData(new[] { "--bogus" }, "unknown option '--bogus'")]
    [InlineData(new[] { "--devices" }, "needs a value")]
    [InlineData(new[] { "stray" }, "unexpected argument 'stray'")]
    public void Bad_arguments_are_refused_with_one_clear_message(string[] args, string message)
    {
        Should.Throw<AppHostUsageException>(() => AppHostCommandLine.Parse(args)).Message.ShouldContain(message);
    }

    [Theory]
    [InlineData("abc", "whole number")]
    [InlineData("0", "from 1 to 100000")]
    [InlineData("100001", "from 1 to 100000")]
    [InlineData("-5", "whole number")]
    public void Device_count_must_be_a_number_in_range(string value, string message)
    {
        Should.Throw<AppHostUsageException>(() => AppHostCommandLine.ReadBounded(AppHostCommandLine.DevicesKey, value, 25))
            .Message.ShouldContain(message);
    }

    [Fact]
    public void Missing_device_count_takes_the_default()
    {
        AppHostCommandLine.ReadBounded(AppHostCommandLine.DevicesKey, null, 25).ShouldBe(25);
    }
}
