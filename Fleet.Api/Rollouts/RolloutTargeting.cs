using Fleet.Api.Devices;
using Fleet.Api.Firmware;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Api.Rollouts;

/// <summary>The facts of a device that targeting, compatibility and cohorts use.</summary>
public sealed record TargetDevice(Guid Id, string Type, string HardwareRevision, string Region, string Environment, string? FirmwareVersion);

/// <summary>The active devices a target matched, split into those that can take the release and counts of why the others cannot.</summary>
public sealed record TargetResolution(IReadOnlyList<TargetDevice> Compatible, int Matching, IReadOnlyDictionary<string, int> IncompatibleBy)
{
    public int Incompatible => Matching - Compatible.Count;
}

/// <summary>Turns a rollout target into devices: criteria run in PostgreSQL, compatibility with the release in memory (semver).</summary>
public static class RolloutTargeting
{
    public const int MaxListEntries = 64;
    public const int MaxDeviceIds = 100_000;

    public static Dictionary<string, string[]> Validate(RolloutTarget target, bool greenFirst, string prefix = "target")
    {
        var errors = new Dictionary<string, string[]>();
        CheckList(target.DeviceTypes, $"{prefix}.deviceTypes", errors);
        CheckList(target.HardwareRevisions, $"{prefix}.hardwareRevisions", errors);
        CheckList(target.Regions, $"{prefix}.regions", errors);
        CheckList(target.Tags, $"{prefix}.tags", errors);
        if (target.Environment is not (null or DeviceEnvironments.Blue or DeviceEnvironments.Green))
        {
            errors[$"{prefix}.environment"] = ["must be blue or green."];
        }
        else if (greenFirst && target.Environment is not null)
        {
            errors["greenFirst"] = ["a green-first rollout covers both environments; leave target.environment empty."];
        }

        if (target.DeviceIds is { Count: > MaxDeviceIds })
        {
            errors[$"{prefix}.deviceIds"] = [$"at most {MaxDeviceIds} devices."];
        }

        return errors;
    }

    /// <summary>
    /// The active devices <paramref name="target"/> matches now. <paramref name="freeOnly"/>: only those in no running or
    /// paused rollout (a device takes one update at a time); for a running rollout's joiners, this leaves its own out too.
    /// </summary>
    public static async Task<TargetResolution> ResolveAsync(
        FleetDbContext db, RolloutTarget target, FirmwareRelease release, CancellationToken cancellationToken, bool freeOnly = false)
    {
        var devices = db.Devices.AsNoTracking().Where(d => d.Lifecycle == DeviceLifecycle.Active);
        if (target.DeviceTypes is { Count: > 0 } types)
        {
            devices = devices.Where(d => types.Contains(d.Type));
        }

        if (target.HardwareRevisions is { Count: > 0 } revisions)
        {
            devices = devices.Where(d => revisions.Contains(d.HardwareRevision));
        }

        if (target.Regions is { Count: > 0 } regions)
        {
            devices = devices.Where(d => regions.Contains(d.Region));
        }

        if (target.Environment is { } environment)
        {
            devices = devices.Where(d => d.Environment == environment);
        }

        if (target.Tags is { Count: > 0 } tags)
        {
            devices = devices.Where(d => d.Tags.Any(tag => tags.Contains(tag)));
        }

        if (target.DeviceIds is { Count: > 0 } ids)
        {
            devices = devices.Where(d => ids.Contains(d.Id));
        }

        if (freeOnly)
        {
            // Only the active rollouts' rows are read, not every finished rollout's.
            devices = devices.Where(d => !db.RolloutDevices.Any(rd => rd.DeviceId == d.Id
                && db.Rollouts.Any(r => r.Id == rd.RolloutId && (r.State == RolloutState.Running || r.State == RolloutState.Paused))));
        }

        var matching = await devices
            .Select(d => new TargetDevice(d.Id, d.Type, d.HardwareRevision, d.Region, d.Environment, d.FirmwareVersion))
            .ToListAsync(cancellationToken);

        var compatible = new List<TargetDevice>(matching.Count);
        var incompatibleBy = new Dictionary<string, int>();
        foreach (var device in matching)
        {
            if (Incompatibility(device, release) is { } why)
            {
                incompatibleBy[why] = incompatibleBy.GetValueOrDefault(why) + 1;
            }
            else
            {
                compatible.Add(device);
            }
        }

        return new TargetResolution(compatible, matching.Count, incompatibleBy);
    }

    /// <summary>Why <paramref name="device"/> cannot take <paramref name="release"/> (deviceType, hardwareRevision, minimumCurrentVersion), or null.</summary>
    public static string? Incompatibility(TargetDevice device, FirmwareRelease release)
    {
        if (!release.DeviceTypes.Contains(device.Type))
        {
            return "deviceType";
        }

        if (release.HardwareRevisions.Count > 0 && !release.HardwareRevisions.Contains(device.HardwareRevision))
        {
            return "hardwareRevision";
        }

        if (release.MinimumCurrentVersion is { } minimumText && SemanticVersion.TryParse(minimumText, out var minimum)
            && (!SemanticVersion.TryParse(device.FirmwareVersion, out var current) || current < minimum))
        {
            return "minimumCurrentVersion";
        }

        return null;
    }

    private static void CheckList(IReadOnlyList<string>? values, string field, Dictionary<string, string[]> errors)
    {
        if (values is { Count: > MaxListEntries })
        {
            errors[field] = [$"at most {MaxListEntries} entries."];
        }
        else if (values is not null && values.Any(v => string.IsNullOrWhiteSpace(v) || v.Length > DeviceLimits.Attribute))
        {
            errors[field] = [$"entries must be non-empty and at most {DeviceLimits.Attribute} characters."];
        }
    }
}
