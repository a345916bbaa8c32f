using Fleet.Cli;
using Fleet.Cli.Commands;
using Fleet.Contracts;

namespace Fleet.Tests.Cli;

public sealed class RolloutSyntaxTests
{
    [Fact]
    public void A_target_maps_each_key_and_a_repeated_key_means_either_value()
    {
        var device = Guid.NewGuid();

        var target = RolloutSyntax.ParseTarget($"type=camera, type=meter,region=eu-west,rev=rev-b,env=blue,tag=x,id={device}");

        target.DeviceTypes.ShouldBe(["camera", "meter"]);
        target.Regions.ShouldBe(["eu-west"]);
        target.HardwareRevisions.ShouldBe(["rev-b"]);
        target.Environment.ShouldBe("blue");
        target.Tags.ShouldBe(["x"]);
        target.DeviceIds.ShouldBe([device]);
        RolloutSyntax.ParseTarget(null).ShouldBe(new RolloutTarget());
    }

    [Theory]
    [InlineData("type")]
    [InlineData("=camera")]
    [InlineData("type=")]
    [InlineData("colour=red")]
    [InlineData("id=not-a-guid")]
    [InlineData("env=blue,env=green")]
    public void Bad_target_syntax_is_a_usage_error(string text) =>
        Should.Throw<UsageException>(() => RolloutSyntax.ParseTarget(text)).Message.ShouldStartWith("--target:");

    [Theory]
    [InlineData("0", 0)]
    [InlineData("90s", 90)]
    [InlineData("10m", 600)]
    [InlineData("1.5h", 5400)]
    [InlineData("1d", 86400)]
    [InlineData("00:02:00", 120)]
    public void Durations_take_a_unit_or_a_time_span(string text, double seconds) =>
        RolloutSyntax.ParseDuration("--soak", text).ShouldBe(TimeSpan.FromSeconds(seconds));

    [Theory]
    [InlineData("soon")]
    [InlineData("-5m")]
    [InlineData("10x")]
    public void Bad_durations_are_usage_errors(string text) => Should.Throw<UsageException>(() => RolloutSyntax.ParseDuration("--soak", text));

    [Fact]
    public void Phases_are_percentages_up_to_100()
    {
        RolloutSyntax.ParsePercents("1,10,50%,100").ShouldBe([1, 10, 50, 100]);
        Should.Throw<UsageException>(() => RolloutSyntax.ParsePercents("0,100"));
        Should.Throw<UsageException>(() => RolloutSyntax.ParsePercents("50,101"));
        Should.Throw<UsageException>(() => RolloutSyntax.ParsePercents(","));
    }
}
