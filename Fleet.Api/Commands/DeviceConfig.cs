namespace Fleet.Api.Commands;

/// <summary>Bounds of a device's settings, as <c>set_config</c> sets them and heartbeats report them.</summary>
public static class DeviceConfig
{
    public const int MaxEntries = 32;
    public const int MaxKeyLength = 64;
    public const int MaxValueLength = 256;

    /// <summary>Redis field of the latest-heartbeat hash holding the reported settings (a JSON object).</summary>
    public const string LatestField = "config";

    /// <summary>Adds an error under <paramref name="field"/> (or <c>field.key</c>) for a map out of bounds.</summary>
    public static void Validate(IReadOnlyDictionary<string, string>? config, string field, Dictionary<string, string[]> errors)
    {
        if (config is null)
        {
            return;
        }

        if (config.Count > MaxEntries)
        {
            errors[field] = [$"at most {MaxEntries} settings."];
            return;
        }

        foreach (var (key, value) in config)
        {
            if (!IsValidKey(key))
            {
                errors[field] = [$"keys must be 1..{MaxKeyLength} characters."];
            }
            else if (value is null || value.Length > MaxValueLength)
            {
                errors[$"{field}.{key}"] = [$"must be a string of at most {MaxValueLength} characters."];
            }
        }
    }

    public static bool IsValidKey(string? key) => !string.IsNullOrWhiteSpace(key) && key.Length <= MaxKeyLength;
}
