using System.Text.Json;
using Fleet.Api.Devices;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;

namespace Fleet.Api.Commands;

/// <summary>A request that passed validation: the parameters normalised to the JSON stored and sent.</summary>
public sealed record ValidCommand(string Name, string? ParametersJson, Guid? DeviceId, CommandSegment? Segment, TimeSpan TimeToLive);

/// <summary>Field-level checks of <c>POST /api/v1/commands</c>; each error names the JSON field it is about.</summary>
public static class CommandValidation
{
    public const int MaxListEntries = 64;

    public static Dictionary<string, string[]> Validate(SendCommandRequest request, CommandOptions options, out ValidCommand? valid)
    {
        valid = null;
        var errors = new Dictionary<string, string[]>();
        var parameters = request.Parameters is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } given ? given : (JsonElement?)null;
        if (parameters is { ValueKind: not JsonValueKind.Object })
        {
            errors["parameters"] = ["must be a JSON object."];
            parameters = null;
        }

        string? parametersJson = null;
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            errors["name"] = [$"is required: one of {string.Join(", ", CommandNames.All)}."];
        }
        else if (!CommandNames.All.Contains(request.Name))
        {
            errors["name"] = [$"unknown command '{Shorten(request.Name)}': must be one of {string.Join(", ", CommandNames.All)}."];
        }
        else if (!errors.ContainsKey("parameters"))
        {
            parametersJson = request.Name switch
            {
                CommandNames.SetInterval => SetInterval(parameters, options, errors),
                CommandNames.SetConfig => SetConfig(parameters, errors),
                _ => NoParameters(request.Name, parameters, errors),
            };
        }

        if (request.DeviceId is not null && request.Segment is not null)
        {
            errors["deviceId"] = ["give deviceId or segment, not both."];
        }
        else if (request.DeviceId is null && request.Segment is null)
        {
            errors["deviceId"] = ["give deviceId (one device) or segment (types, regions, hardwareRevisions, tags, environment)."];
        }
        else if (request.DeviceId == Guid.Empty)
        {
            errors["deviceId"] = ["must be a device id."];
        }

        if (request.Segment is { } segment)
        {
            CheckList(segment.Types, "segment.types", errors);
            CheckList(segment.Regions, "segment.regions", errors);
            CheckList(segment.HardwareRevisions, "segment.hardwareRevisions", errors);
            CheckList(segment.Tags, "segment.tags", errors);
            if (segment.Environment is not (null or DeviceEnvironments.Blue or DeviceEnvironments.Green))
            {
                errors["segment.environment"] = ["must be blue or green."];
            }
        }

        var ttl = request.TtlSeconds ?? options.DefaultTtlSeconds;
        if (ttl < 1 || ttl > options.MaxTtlSeconds)
        {
            errors["ttlSeconds"] = [$"must be from 1 to {options.MaxTtlSeconds} seconds."];
        }

        if (errors.Count == 0)
        {
            valid = new ValidCommand(request.Name!, parametersJson, request.DeviceId, request.Segment, TimeSpan.FromSeconds(ttl));
        }

        return errors;
    }

    private static string? NoParameters(string name, JsonElement? parameters, Dictionary<string, string[]> errors)
    {
        if (parameters is { } given && given.EnumerateObject().Any())
        {
            errors["parameters"] = [$"{name} takes no parameters."];
        }

        return null;
    }

    private static string? SetInterval(JsonElement? parameters, CommandOptions options, Dictionary<string, string[]> errors)
    {
        if (parameters is not { } given || !given.TryGetProperty("seconds", out var seconds))
        {
            errors["parameters.seconds"] = [$"is required: a whole number of seconds from {options.MinIntervalSeconds} to {options.MaxIntervalSeconds}."];
            return null;
        }

        if (given.EnumerateObject().Any(p => p.Name != "seconds"))
        {
            errors["parameters"] = ["set_interval takes only seconds."];
        }

        if (seconds.ValueKind != JsonValueKind.Number || !seconds.TryGetInt32(out var value))
        {
            errors["parameters.seconds"] = ["must be a whole number."];
            return null;
        }

        if (value < options.MinIntervalSeconds || value > options.MaxIntervalSeconds)
        {
            errors["parameters.seconds"] = [$"must be from {options.MinIntervalSeconds} to {options.MaxIntervalSeconds}."];
            return null;
        }

        return JsonSerializer.Serialize(new Dictionary<string, int> { ["seconds"] = value });
    }

    private static string? SetConfig(JsonElement? parameters, Dictionary<string, string[]> errors)
    {
        var settings = parameters?.EnumerateObject().ToList() ?? [];
        if (settings.Count == 0)
        {
            errors["parameters"] = ["set_config needs at least one setting: {\"key\": value}."];
            return null;
        }

        if (settings.Count > DeviceConfig.MaxEntries)
        {
            errors["parameters"] = [$"at most {DeviceConfig.MaxEntries} settings."];
            return null;
        }

        foreach (var setting in settings)
        {
            if (!DeviceConfig.IsValidKey(setting.Name) || FleetText.Problem(setting.Name) is not null)
            {
                errors["parameters"] = [$"setting names must be 1..{DeviceConfig.MaxKeyLength} characters."];
                continue;
            }

            var ok = setting.Value.ValueKind switch
            {
                // The parameters are a JsonElement, which the body's text rule does not reach; jsonb refuses \u0000 besides.
                JsonValueKind.String => setting.Value.GetString()!.Length <= DeviceConfig.MaxValueLength && FleetText.Problem(setting.Value.GetString()) is null,
                JsonValueKind.Number => setting.Value.GetRawText().Length <= DeviceConfig.MaxValueLength,
                JsonValueKind.True or JsonValueKind.False => true,
                _ => false,
            };
            if (!ok)
            {
                errors[$"parameters.{setting.Name}"] = [$"must be a string (at most {DeviceConfig.MaxValueLength} characters), a number or a boolean."];
            }
        }

        return parameters!.Value.GetRawText();
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

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
