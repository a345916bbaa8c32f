using System.Globalization;
using System.Text;

namespace Fleet.Web.Services;

/// <summary>The query string of <c>GET /api/v1/devices</c>: a 1-based page, one sort field (<c>-</c> for descending), AND-ed filters.</summary>
public sealed record DeviceQuery
{
    public int Page { get; init; } = 1;

    public int PageSize { get; init; } = 50;

    public string? Sort { get; init; }

    public DeviceFilters Filters { get; init; } = new();

    public string ToPathAndQuery()
    {
        var query = new StringBuilder(Fleet.Contracts.FleetHttp.DevicesRoute);
        query.Append(CultureInfo.InvariantCulture, $"?page={Page}&pageSize={PageSize}");
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
        return query.ToString();
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
