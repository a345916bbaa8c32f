using Fleet.Api.Firmware;

namespace Fleet.Tests.Firmware;

public sealed class SemanticVersionTests
{
    [Theory]
    [InlineData("0.0.0")]
    [InlineData("1.2.3")]
    [InlineData("10.20.30")]
    [InlineData("1.0.0-alpha")]
    [InlineData("1.0.0-alpha.1")]
    [InlineData("1.0.0-0.3.7")]
    [InlineData("1.0.0-x.7.z.92")]
    [InlineData("1.0.0-x-y-z.--")]
    [InlineData("1.0.0+20130313144700")]
    [InlineData("1.0.0-beta+exp.sha.5114f85")]
    public void Valid_versions_parse_and_print_back_unchanged(string text)
    {
        SemanticVersion.TryParse(text, out var version).ShouldBeTrue();
        version.ToString().ShouldBe(text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("1.2")]
    [InlineData("1.2.3.4")]
    [InlineData("01.2.3")]
    [InlineData("1.02.3")]
    [InlineData("1.2.03")]
    [InlineData("v1.2.3")]
    [InlineData("1.2.3-")]
    [InlineData("1.2.3-01")]
    [InlineData("1.2.3-alpha..1")]
    [InlineData("1.2.3+")]
    [InlineData("1.2.3 ")]
    [InlineData("-1.2.3")]
    [InlineData("99999999999.0.0")]
    public void Invalid_versions_are_refused(string text) =>
        SemanticVersion.TryParse(text, out _).ShouldBeFalse();

    [Fact]
    public void Precedence_follows_the_semver_spec_example_chain()
    {
        string[] ascending = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0", "10.0.0"];
        var versions = ascending.Select(Parse).ToList();

        for (var i = 0; i < versions.Count; i++)
        {
            for (var j = 0; j < versions.Count; j++)
            {
                Math.Sign(versions[i].CompareTo(versions[j])).ShouldBe(Math.Sign(i.CompareTo(j)), $"{ascending[i]} vs {ascending[j]}");
            }
        }
    }

    [Fact]
    public void Build_metadata_does_not_change_precedence()
    {
        Parse("1.0.0+a").CompareTo(Parse("1.0.0+b")).ShouldBe(0);
        (Parse("1.0.0+zzz") < Parse("1.0.1")).ShouldBeTrue();
    }

    private static SemanticVersion Parse(string text) =>
        SemanticVersion.TryParse(text, out var version) ? version : throw new ArgumentException(text);
}
