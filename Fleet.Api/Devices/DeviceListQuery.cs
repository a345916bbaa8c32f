using Fleet.Api.Infrastructure;
using System.Linq.Expressions;
using Fleet.Api.Status;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Api.Devices;

/// <summary>
/// Query string of <c>GET /api/v1/devices</c>: paging, one sort field (<c>-</c> for descending) and filters that
/// combine with AND. Filtering, sorting and paging all run in PostgreSQL, so a page costs the same at any fleet size.
/// </summary>
public sealed record DeviceListQuery(
    int? Page,
    int? PageSize,
    string? Sort,
    string? Lifecycle,
    string? Status,
    string? Type,
    string? Region,
    string? HardwareRevision,
    string? Environment,
    string? Tag,
    string? Firmware,
    string? Q)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;
    public const string DefaultSort = "serial";
    private const string LikeEscape = "\\";

    public static IReadOnlyList<string> SortFields { get; } = ["serial", "name", "type", "region", "createdAt", "lastSeen"];

    /// <summary>Each problem keyed by the query parameter it is about.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = OperatorQueries.ValidatePaging(Page, PageSize, MaxPageSize);

        if (!SortFields.Contains(SortField))
        {
            errors["sort"] = [$"must be one of {string.Join(", ", SortFields)}, optionally prefixed with '-' for descending."];
        }

        if (Lifecycle is not null && !DeviceLifecycleTransitions.TryParse(Lifecycle, out _))
        {
            errors["lifecycle"] = ["must be one of new, active, suspended, retired."];
        }

        if (Status is not null && ConnectivityNames.Parse(Status).ToName() != Status)
        {
            errors["status"] = ["must be one of online, at-risk, offline, unknown."];
        }

        return errors;
    }

    public int Skip => ((Page ?? 1) - 1) * Take;

    public int Take => PageSize ?? DefaultPageSize;

    private string SortValue => string.IsNullOrEmpty(Sort) ? DefaultSort : Sort;

    private bool Descending => SortValue.StartsWith('-');

    private string SortField => Descending ? SortValue[1..] : SortValue;

    public IQueryable<Device> Filter(IQueryable<Device> devices)
    {
        if (DeviceLifecycleTransitions.TryParse(Lifecycle, out var lifecycle))
        {
            devices = devices.Where(d => d.Lifecycle == lifecycle);
        }

        if (Status is not null)
        {
            var connectivity = ConnectivityNames.Parse(Status);
            devices = devices.Where(d => d.Connectivity == connectivity);
        }

        if (Type is not null)
        {
            devices = devices.Where(d => d.Type == Type);
        }

        if (Region is not null)
        {
            devices = devices.Where(d => d.Region == Region);
        }

        if (HardwareRevision is not null)
        {
            devices = devices.Where(d => d.HardwareRevision == HardwareRevision);
        }

        if (Environment is not null)
        {
            devices = devices.Where(d => d.Environment == Environment);
        }

        if (Tag is not null)
        {
            devices = devices.Where(d => d.Tags.Contains(Tag));
        }

        if (Firmware is not null)
        {
            devices = devices.Where(d => d.FirmwareVersion == Firmware);
        }

        if (!string.IsNullOrEmpty(Q))
        {
            var pattern = $"%{EscapeLike(Q)}%";
            devices = devices.Where(d => EF.Functions.ILike(d.Serial, pattern, LikeEscape)
                || (d.Name != null && EF.Functions.ILike(d.Name, pattern, LikeEscape)));
        }

        return devices;
    }

    /// <summary>Sorted by the chosen field, nulls last either way, then by serial (unique) so pages never overlap.</summary>
    public IQueryable<Device> Order(IQueryable<Device> devices)
    {
        var ordered = SortField switch
        {
            "name" => devices.OrderBy(d => d.Name == null).ThenBy(d => d.Name, Descending),
            "type" => devices.OrderBy(d => d.Type, Descending),
            "region" => devices.OrderBy(d => d.Region, Descending),
            "createdAt" => devices.OrderBy(d => d.CreatedAt, Descending),
            "lastSeen" => devices.OrderBy(d => d.LastSeenAt == null).ThenBy(d => d.LastSeenAt, Descending),
            _ => devices.OrderBy(d => d.Serial, Descending),
        };
        return SortField == "serial" ? ordered : ordered.ThenBy(d => d.Serial);
    }

    private static string EscapeLike(string text) =>
        text.Replace(LikeEscape, LikeEscape + LikeEscape, StringComparison.Ordinal)
            .Replace("%", LikeEscape + "%", StringComparison.Ordinal)
            .Replace("_", LikeEscape + "_", StringComparison.Ordinal);
}

internal static class DeviceOrdering
{
    public static IOrderedQueryable<Device> OrderBy<TKey>(this IQueryable<Device> devices, Expression<Func<Device, TKey>> key, bool descending) =>
        descending ? devices.OrderByDescending(key) : devices.OrderBy(key);

    public static IOrderedQueryable<Device> ThenBy<TKey>(this IOrderedQueryable<Device> devices, Expression<Func<Device, TKey>> key, bool descending) =>
        descending ? devices.ThenByDescending(key) : devices.ThenBy(key);
}
