using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace Fleet.Web.Services;

/// <summary>The query string of <c>GET /api/v1/devices</c>: a 1-based page, one sort field (<c>-</c> for descending), AND-ed filters.</summary>
public sealed record DeviceQuery
{
    public int Page { get; init; } = 1;

    public int PageSize { get; init; } = DefaultPageSize;

    public string? Sort { get; init; }

    public DeviceFilters Filters { get; init; } = new();

    public const int DefaultPageSize = 50;

    public string ToPathAndQuery()
    {
        var query = new StringBuilder(Fleet.Contracts.FleetHttp.DevicesRoute);
        query.Append(CultureInfo.InvariantCulture, $"?page={Page}&pageSize={PageSize}");
        AppendSortAndFilters(query);
        return query.ToString();
    }

    /// <summary>
    /// The same query in the devices page's own address, with the API's parameter names and only what differs from the
    /// defaults (page 1, 50 a page, no sort, no filter), so a view can be shared and survives a reload.
    /// </summary>
    public string ToPageUri(string path)
    {
        var query = new StringBuilder();
        if (Page != 1)
        {
            query.Append(CultureInfo.InvariantCulture, $"&page={Page}");
        }

        if (PageSize != DefaultPageSize)
        {
            query.Append(CultureInfo.InvariantCulture, $"&pageSize={PageSize}");
        }

        AppendSortAndFilters(query);
        return query.Length == 0 ? path : $"{path}?{query.ToString(1, query.Length - 1)}";
    }

    /// <summary>Reads what <see cref="ToPageUri"/> wrote; a missing or unreadable page or page size is the default.</summary>
    public static DeviceQuery FromPageUri(Uri uri)
    {
        var values = QueryHelpers.ParseQuery(uri.Query);
        string? Text(string name) => values.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.ToString() : null;
        int Number(string name, int fallback) => int.TryParse(Text(name), NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0 ? number : fallback;
        return new DeviceQuery
        {
            Page = Number("page", 1),
            PageSize = Number("pageSize", DefaultPageSize),
            Sort = Text("sort"),
            Filters = new DeviceFilters
            {
                Status = Text("status"),
                Lifecycle = Text("lifecycle"),
                Type = Text("type"),
                Region = Text("region"),
                HardwareRevision = Text("hardwareRevision"),
                Environment = Text("environment"),
                Tag = Text("tag"),
                Firmware = Text("firmware"),
                Text = Text("q"),
            },
        };
    }

    private void AppendSortAndFilters(StringBuilder query)
    {
        Append(query, "sort", Sort);
        Append(query, "status", Filters.Status);
        Append(query, "lifecycle", Filters.Lifecycle);
        Append(query, "type", Filters.Type);
        Append(query, "region", Filters.Region);
        Append(query, "hardwareRevision", Filters.HardwareRevision);
        Append(query, "environment", Filters.Environment);
        Append(query, "tag", Filters.Tag);
        Append(query, "firmware", Filters.Firmware);
        Append(query, "q", Filters.Text);
    }

    private static void Append(StringBuilder query, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            query.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value.Trim()));
        }
    }
}

/// <summary>What the operator filters the device list by; empty means "any".</summary>
public sealed record DeviceFilters
{
    public string? Status { get; init; }

    public string? Lifecycle { get; init; }

    public string? Type { get; init; }

    public string? Region { get; init; }

    public string? HardwareRevision { get; init; }

    public string? Environment { get; init; }

    public string? Tag { get; init; }

    public string? Firmware { get; init; }

    /// <summary>Part of the serial or name (the API's <c>q</c>).</summary>
    public string? Text { get; init; }
}
