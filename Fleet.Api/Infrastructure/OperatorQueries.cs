using Microsoft.EntityFrameworkCore;

namespace Fleet.Api.Infrastructure;

/// <summary>Checks the operator list and lookup endpoints share.</summary>
public static class OperatorQueries
{
    public const int DefaultPageSize = 50;

    /// <summary>One page of an ordered query: <paramref name="page"/> from 1 (default 1), <see cref="DefaultPageSize"/> items unless asked; <see cref="ValidatePaging"/> has checked both.</summary>
    public static IQueryable<T> Page<T>(this IQueryable<T> ordered, int? page, int? pageSize) =>
        ordered.Skip(((page ?? 1) - 1) * (pageSize ?? DefaultPageSize)).Take(pageSize ?? DefaultPageSize);

    /// <summary>Adds an error for each paging parameter out of range, keyed by the parameter's name.</summary>
    public static Dictionary<string, string[]> ValidatePaging(int? page, int? pageSize, int maxPageSize)
    {
        var errors = new Dictionary<string, string[]>();
        if (page is < 1)
        {
            errors["page"] = ["must be 1 or more."];
        }

        if (pageSize is < 1 || pageSize > maxPageSize)
        {
            errors["pageSize"] = [$"must be from 1 to {maxPageSize}."];
        }
        else if (page is > 1 && (page.Value - 1L) * (pageSize ?? DefaultPageSize) > int.MaxValue)
        {
            // The rows to skip must fit an int (and no fleet has that many); past it EF would throw.
            errors["page"] = [$"must be at most {int.MaxValue / (pageSize ?? DefaultPageSize)} for this pageSize."];
        }

        return errors;
    }

    /// <summary>True when the device is in the registry; operator reads answer 404 otherwise.</summary>
    public static Task<bool> DeviceExistsAsync(this FleetDbContext db, Guid id, CancellationToken cancellationToken) =>
        db.Devices.AnyAsync(device => device.Id == id, cancellationToken);
}
