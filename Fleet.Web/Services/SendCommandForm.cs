using System.Globalization;
using System.Text.Json;
using Fleet.Contracts;

namespace Fleet.Web.Services;

/// <summary>
/// The "send command" dialog's fields for one device. It checks what the UI can know (a whole number of seconds, settings
/// written as <c>key=value</c>); bounds configured in the API (interval range, time-to-live cap) come back as its field errors,
/// keyed as the API names them (<c>parameters.seconds</c>, <c>parameters</c>, <c>ttlSeconds</c>).
/// </summary>
public sealed class SendCommandForm
{
    public const string SecondsField = "parameters.seconds";
    public const string SettingsField = "parameters";
    public const string TtlField = "ttlSeconds";

    public string Name { get; set; } = CommandNames.Identify;

    public int? Seconds { get; set; }

    /// <summary>One setting per line, <c>key=value</c>; true/false and numbers are sent as such, "quoted" text as text.</summary>
    public string Settings { get; set; } = "";

    /// <summary>How long the command may wait for the device when it is offline.</summary>
    public int? TtlSeconds { get; set; } = 3_600;

    public Dictionary<string, string> Validate()
    {
        var errors = new Dictionary<string, string>();
        if (Name == CommandNames.SetInterval)
        {
            if (Seconds is null)
            {
                errors[SecondsField] = "Give the reporting interval in whole seconds.";
            }
            else if (Seconds < 1)
            {
                errors[SecondsField] = "The interval must be at least 1 second.";
            }
        }

        if (Name == CommandNames.SetConfig)
        {
            var lines = Lines();
            if (lines.Length == 0)
            {
                errors[SettingsField] = "Give at least one setting as key=value.";
            }
            else if (lines.FirstOrDefault(line => line.IndexOf('=', StringComparison.Ordinal) < 1) is { } bad)
            {
                errors[SettingsField] = $"\"{bad}\" is not key=value.";
            }
            else if (lines.Select(line => line[..line.IndexOf('=', StringComparison.Ordinal)].Trim()).GroupBy(key => key).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                errors[SettingsField] = $"{twice.Key} is set twice.";
            }
        }

        if (TtlSeconds is null or < 1)
        {
            errors[TtlField] = "The time-to-live must be at least 1 second.";
        }

        return errors;
    }

    public SendCommandRequest ToRequest(Guid deviceId)
    {
        JsonElement? parameters = Name switch
        {
            CommandNames.SetInterval => JsonSerializer.SerializeToElement(new Dictionary<string, int?> { ["seconds"] = Seconds }, JsonSerializerOptions.Web),
            CommandNames.SetConfig => JsonSerializer.SerializeToElement(ParseSettings(), JsonSerializerOptions.Web),
            _ => null,
        };
        return new SendCommandRequest(Name, parameters, deviceId, TtlSeconds: TtlSeconds);
    }

    /// <summary>How the settings will be sent, for the dialog to show before sending.</summary>
    public Dictionary<string, object> ParseSettings() => Lines()
        .Where(line => line.IndexOf('=', StringComparison.Ordinal) > 0)
        .Select(line => (Key: line[..line.IndexOf('=', StringComparison.Ordinal)].Trim(), Value: line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim()))
        .GroupBy(setting => setting.Key)
        .ToDictionary(group => group.Key, group => ValueOf(group.Last().Value));

    private static object ValueOf(string text) => text switch
    {
        "true" => true,
        "false" => false,
        ['"', .. var quoted, '"'] => quoted,
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) => number,
        _ => text,
    };

    private string[] Lines() =>
        Settings.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
