using Fleet.Contracts;
using Fleet.Web.Services;
using MudBlazor;

namespace Fleet.Tests.Web;

public sealed class DeviceGridQueryTests
{
    [Fact]
    public void Grid_pages_count_from_zero_and_the_API_pages_from_one()
    {
        var query = DeviceGridQuery.From(State(page: 3, pageSize: 100), new DeviceFilters());

        query.Page.ShouldBe(4);
        query.PageSize.ShouldBe(100);
        query.Sort.ShouldBeNull();
        query.ToPathAndQuery().ShouldBe("/api/v1/devices?page=4&pageSize=100");
    }

    [Theory]
    [InlineData(nameof(DeviceSummary.Serial), false, "serial")]
    [InlineData(nameof(DeviceSummary.Name), true, "-name")]
    [InlineData(nameof(DeviceSummary.Type), false, "type")]
    [InlineData(nameof(DeviceSummary.Region), true, "-region")]
    [InlineData(nameof(DeviceSummary.CreatedAt), false, "createdAt")]
    [InlineData(nameof(DeviceSummary.LastSeenAt), true, "-lastSeen")]
    public void Sorting_a_column_becomes_the_API_sort_field_with_a_minus_for_descending(string column, bool descending, string expected)
    {
        var query = DeviceGridQuery.From(State(sortBy: column, descending: descending), new DeviceFilters());

        query.Sort.ShouldBe(expected);
        query.ToPathAndQuery().ShouldEndWith($"&sort={expected}");
    }

    [Fact]
    public void A_column_the_API_cannot_sort_by_leaves_the_default_order()
    {
        DeviceGridQuery.From(State(sortBy: nameof(DeviceSummary.Firmware)), new DeviceFilters()).Sort.ShouldBeNull();
    }

    [Fact]
    public void Every_filter_goes_to_the_API_escaped_and_blank_ones_are_left_out()
    {
        var filters = new DeviceFilters
        {
            Status = "at-risk",
            Lifecycle = "active",
            Type = "meter",
            Region = "eu-west",
            HardwareRevision = "rev b",
            Environment = "green",
            Tag = "roof&north",
            Firmware = "1.4.0",
            Text = "  ",
        };

        var url = DeviceGridQuery.From(State(), filters).ToPathAndQuery();

        url.ShouldBe("/api/v1/devices?page=1&pageSize=50&status=at-risk&lifecycle=active&type=meter&region=eu-west"
            + "&hardwareRevision=rev%20b&environment=green&tag=roof%26north&firmware=1.4.0");
    }

    [Fact]
    public void A_page_of_the_API_becomes_the_grid_rows_and_the_total_of_matches()
    {
        var device = new DeviceSummary(Guid.NewGuid(), "S-1", null, "meter", "rev-a", "eu-west", "blue", [], null, "active", null, DateTimeOffset.UnixEpoch, null, "unknown");

        var data = DeviceGridQuery.ToGridData(new DeviceListResponse([device], 1234));

        data.Items.ShouldBe([device]);
        data.TotalItems.ShouldBe(1234);
    }

    [Fact]
    public void The_page_address_names_only_what_differs_from_the_defaults_and_reads_back_the_same_query()
    {
        var query = new DeviceQuery
        {
            Page = 3,
            PageSize = 100,
            Sort = "-lastSeen",
            Filters = new DeviceFilters { Status = "offline", Firmware = "2.0.1", Text = "north & south" },
        };

        var uri = query.ToPageUri("devices");

        uri.ShouldBe("devices?page=3&pageSize=100&sort=-lastSeen&status=offline&firmware=2.0.1&q=north%20%26%20south");
        DeviceQuery.FromPageUri(new Uri(new Uri("http://web/"), uri)).ShouldBe(query);
        new DeviceQuery().ToPageUri("devices").ShouldBe("devices");
        DeviceQuery.FromPageUri(new Uri("http://web/devices?page=zero&pageSize=-5")).ShouldBe(new DeviceQuery());
    }

    [Theory]
    [InlineData("-lastSeen", nameof(DeviceSummary.LastSeenAt), true)]
    [InlineData("serial", nameof(DeviceSummary.Serial), false)]
    public void A_sort_in_the_address_names_its_column_and_direction(string sort, string column, bool descending) =>
        DeviceGridQuery.ColumnOf(sort).ShouldBe((column, descending));

    [Theory]
    [InlineData(null)]
    [InlineData("battery")]
    public void No_sort_or_one_the_grid_has_no_column_for_is_no_sort(string? sort) => DeviceGridQuery.ColumnOf(sort).ShouldBeNull();

    private static GridState<DeviceSummary> State(int page = 0, int pageSize = 50, string? sortBy = null, bool descending = false) => new()
    {
        Page = page,
        PageSize = pageSize,
        SortDefinitions = sortBy is null ? [] : [new SortDefinition<DeviceSummary>(sortBy, descending, 0, _ => "")],
        FilterDefinitions = [],
    };
}
