using Fleet.Contracts;

namespace Fleet.Api.Devices;

/// <summary>Field-level checks for device messages; each error names the JSON field it is about.</summary>
public static class DeviceValidation
{
    private static readonly string[] Slots = ["A", "B"];

    public static Dictionary<string, string[]> Validate(RegisterDeviceRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        Required(errors, "serial", request.Serial, DeviceLimits.Serial);
        Required(errors, "type", request.Type, DeviceLimits.Attribute);
        Required(errors, "hardwareRevision", request.HardwareRevision, DeviceLimits.Attribute);
        Required(errors, "region", request.Region, DeviceLimits.Attribute);
        if (request.Name is { Length: > DeviceLimits.Name })
        {
            errors["name"] = [$"must be at most {DeviceLimits.Name} characters."];
        }

        if (request.Tags is { } tags && (tags.Count > DeviceLimits.Tags || tags.Any(tag => string.IsNullOrWhiteSpace(tag) || tag.Length > DeviceLimits.Tag)))
        {
            errors["tags"] = [$"at most {DeviceLimits.Tags} non-empty tags of at most {DeviceLimits.Tag} characters."];
        }

        if (request.Environment is not (null or DeviceEnvironments.Blue or DeviceEnvironments.Green))
        {
            errors["environment"] = ["must be blue or green."];
        }

        Location(errors, request.Location);
        return errors;
    }

    public static Dictionary<string, string[]> Validate(HeartbeatRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (!double.IsFinite(request.Battery) || request.Battery is < 0 or > 100)
        {
            errors["battery"] = ["must be a number from 0 to 100."];
        }

        if (request.Signal is < -150 or > 0)
        {
            errors["signal"] = ["must be from -150 to 0 dBm."];
        }

        Required(errors, "firmware", request.Firmware, DeviceLimits.Attribute);
        if (!Slots.Contains(request.Slot))
        {
            errors["slot"] = ["must be \"A\" or \"B\"."];
        }

        if (request.UptimeS < 0)
        {
            errors["uptimeS"] = ["must not be negative."];
        }

        Location(errors, request.Location);
        return errors;
    }

    private static void Required(Dictionary<string, string[]> errors, string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors[field] = ["is required."];
        }
        else if (value.Length > maxLength)
        {
            errors[field] = [$"must be at most {maxLength} characters."];
        }
    }

    private static void Location(Dictionary<string, string[]> errors, GeoLocation? location)
    {
        if (location is null)
        {
            return;
        }

        if (!double.IsFinite(location.Lat) || location.Lat is < -90 or > 90)
        {
            errors["location.lat"] = ["must be from -90 to 90."];
        }

        if (!double.IsFinite(location.Lon) || location.Lon is < -180 or > 180)
        {
            errors["location.lon"] = ["must be from -180 to 180."];
        }
    }
}
