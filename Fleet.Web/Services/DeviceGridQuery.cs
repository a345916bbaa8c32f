using Fleet.Contracts;
using MudBlazor;

namespace Fleet.Web.Services;

/// <summary>Turns the devices grid's state (0-based page, sort definitions by column) into the API's query.</summary>
public static class DeviceGridQuery
{
    /// <summary>Grid column (the <see cref="DeviceSummary"/> property) → the API's sort field; other columns do not sort.</summary>
    public static IReadOnlyDictionary<string, string> SortFields { get; } = new Dictionary<string, string>
    {
        [nameof(DeviceSummary.Serial)] = "serial",
        [nameof(DeviceSummary.Name)] = "name",
        [nameof(DeviceSummary.Type)] = "type",
        [nameof(DeviceSummary.Region)] = "region",
        [nameof(DeviceSummary.CreatedAt)] = "createdAt",
        [nameof(DeviceSummary.LastSeenAt)] = "lastSeen",
    };

    public static DeviceQuery From(GridState<DeviceSummary> state, DeviceFilters filters)
    {
        var sort = state.SortDefinitions.OrderBy(definition => definition.Index).FirstOrDefault(definition => SortFields.ContainsKey(definition.SortBy));
        return new DeviceQuery
        {
            Page = state.Page + 1,
            PageSize = state.PageSize,
            Sort = sort is null ? null : (sort.Descending ? "-" : "") + SortFields[sort.SortBy],
            Filters = filters,
        };
    }

    public static GridData<DeviceSummary> ToGridData(DeviceListResponse response) =>
        new() { Items = response.Items, TotalItems = response.Total };
}
