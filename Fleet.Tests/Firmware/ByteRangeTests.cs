using Fleet.Api.Firmware;

namespace Fleet.Tests.Firmware;

public sealed class ByteRangeTests
{
    [Theory]
    [InlineData("bytes=0-99", 0, 99)]
    [InlineData("bytes=100-", 100, 999)]
    [InlineData("bytes=-100", 900, 999)]
    [InlineData("bytes=-5000", 0, 999)]
    [InlineData("bytes=990-5000", 990, 999)]
    [InlineData("bytes=999-999", 999, 999)]
    [InlineData("BYTES= 5 - 9 ", 5, 9)]
    public void Satisfiable_ranges_select_inclusive_bounds_clamped_to_the_length(string header, long from, long to) =>
        ByteRange.Parse(header, 1000).ShouldBe(new RangeRequest.Part(from, to));

    [Theory]
    [InlineData("bytes=1000-")]
    [InlineData("bytes=5000-6000")]
    [InlineData("bytes=-0")]
    public void Ranges_past_the_end_are_unsatisfiable(string header) =>
        ByteRange.Parse(header, 1000).ShouldBeOfType<RangeRequest.Unsatisfiable>();

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("items=0-5")]
    [InlineData("bytes=abc-")]
    [InlineData("bytes=9-5")]
    [InlineData("bytes=5")]
    [InlineData("bytes=0-1,5-6")]
    public void Missing_malformed_or_multi_ranges_mean_the_whole_artefact(string? header) =>
        ByteRange.Parse(header, 1000).ShouldBeOfType<RangeRequest.Whole>();
}
