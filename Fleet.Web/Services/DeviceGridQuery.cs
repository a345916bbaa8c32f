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

    /// <summary>The column and direction an API sort field (<c>-lastSeen</c>) names, or null when the grid has no such column.</summary>
    public static (string Column, bool Descending)? ColumnOf(string? sort)
    {
        if (string.IsNullOrWhiteSpace(sort))
        {
            return null;
        }

        var descending = sort.StartsWith('-');
        var field = descending ? sort[1..] : sort;
        var column = SortFields.FirstOrDefault(entry => entry.Value == field).Key;
        return column is null ? null : (column, descending);
    }

    public static GridData<DeviceSummary> ToGridData(DeviceListResponse response) =>
        new() { Items = response.Items, TotalItems = response.Total };
}
