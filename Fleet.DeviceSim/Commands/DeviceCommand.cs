using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fleet.Contracts;

namespace Fleet.DeviceSim.Commands;

/// <summary>A command the device understood, with its parameters checked.</summary>
public abstract record DeviceCommand
{
    public sealed record SetInterval(TimeSpan Interval) : DeviceCommand;

    public sealed record Reboot : DeviceCommand;

    public sealed record Identify : DeviceCommand;

    /// <summary>Settings to merge into the device's config; a null value removes its key.</summary>
    public sealed record SetConfig(IReadOnlyDictionary<string, string?> Changes) : DeviceCommand;
}

/// <summary>Reads a <see cref="CommandMessage"/> into a <see cref="DeviceCommand"/>, or says why the device rejects it.</summary>
public static partial class DeviceCommandParser
{
    public const int MinIntervalSeconds = 1;
    public const int MaxIntervalSeconds = 3600;
    public const int MaxConfigKeys = 32;
    public const int MaxConfigValueLength = 256;

    public static (DeviceCommand? Command, string? Rejection) Parse(CommandMessage message, DateTimeOffset now)
    {
        if (message.ExpiresAt <= now)
        {
            return (null, CommandStates.Expired);
        }

        var parameters = message.Parameters ?? new Dictionary<string, JsonElement>();
        return message.Name switch
        {
            CommandNames.Reboot => NoParameters(parameters, new DeviceCommand.Reboot()),
            CommandNames.Identify => NoParameters(parameters, new DeviceCommand.Identify()),
            CommandNames.SetInterval => SetInterval(parameters),
            CommandNames.SetConfig => SetConfig(parameters),
            _ => (null, $"unknown command '{message.Name}'; this device understands {string.Join(", ", CommandNames.All)}"),
        };
    }

    private static (DeviceCommand?, string?) NoParameters(IReadOnlyDictionary<string, JsonElement> parameters, DeviceCommand command) =>
        parameters.Count == 0 ? (command, null) : (null, $"takes no parameters (got {string.Join(", ", parameters.Keys)})");

    private static (DeviceCommand?, string?) SetInterval(IReadOnlyDictionary<string, JsonElement> parameters)
    {
        if (parameters.Keys.FirstOrDefault(key => key != "seconds") is { } unknown)
        {
            return (null, $"unknown parameter '{unknown}'; set_interval takes only 'seconds'");
        }

        return parameters.TryGetValue("seconds", out var value) && value.ValueKind == JsonValueKind.Number
            && value.TryGetInt32(out var seconds) && seconds is >= MinIntervalSeconds and <= MaxIntervalSeconds
            ? (new DeviceCommand.SetInterval(TimeSpan.FromSeconds(seconds)), null)
            : (null, $"parameter 'seconds' must be a whole number from {MinIntervalSeconds} to {MaxIntervalSeconds}");
    }

    private static (DeviceCommand?, string?) SetConfig(IReadOnlyDictionary<string, JsonElement> parameters)
    {
        if (parameters.Count is 0 or > MaxConfigKeys)
        {
            return (null, $"set_config takes 1 to {MaxConfigKeys} settings");
        }

        var changes = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in parameters)
        {
            if (!ConfigKey().IsMatch(key))
            {
                return (null, $"setting name '{key}' must be 1 to 64 letters, digits, '.', '_' or '-'");
            }

            string? text = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                JsonValueKind.True or JsonValueKind.False => value.GetBoolean().ToString(CultureInfo.InvariantCulture).ToLowerInvariant(),
                JsonValueKind.Null => null,
                _ => "\0",
            };
            if (text is "\0" || text?.Length > MaxConfigValueLength)
            {
                return (null, $"setting '{key}' must be a string of at most {MaxConfigValueLength} characters, a number, true, false or null");
            }

            changes[key] = text;
        }

        return (new DeviceCommand.SetConfig(changes), null);
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex ConfigKey();
}
