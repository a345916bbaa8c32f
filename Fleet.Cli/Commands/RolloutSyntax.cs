using System.Globalization;
using Fleet.Contracts;

namespace Fleet.Cli.Commands;

/// <summary>The command line's shorthand for targets, phases and durations; bad syntax is a <see cref="UsageException"/> (exit 2).</summary>
public static class RolloutSyntax
{
    public const string TargetKeys = "type, rev, region, env, tag, id";

    /// <summary>
    /// <c>type=camera,region=eu-west,rev=rev-b,env=blue,tag=x,id=&lt;guid&gt;</c>; a key given twice means either value
    /// (<c>type=camera,type=meter</c>). Empty: every active device. <paramref name="option"/> names the option in errors.
    /// </summary>
    public static RolloutTarget ParseTarget(string? text, string option = "--target")
    {
        var lists = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = equals > 0 ? pair[..equals].Trim().ToLowerInvariant() : "";
            var value = equals > 0 ? pair[(equals + 1)..].Trim() : "";
            if (key.Length == 0 || value.Length == 0)
            {
                throw new UsageException($"{option}: '{pair}' is not key=value (keys: {TargetKeys}).");
            }

            key = key switch
            {
                "type" or "types" => "type",
                "rev" or "revision" or "hardwarerevision" => "rev",
                "region" or "regions" => "region",
                "env" or "environment" => "env",
                "tag" or "tags" => "tag",
                "id" or "device" => "id",
                _ => throw new UsageException($"{option}: unknown key '{key}' (keys: {TargetKeys})."),
            };
            if (key == "id" && !Guid.TryParse(value, out _))
            {
                throw new UsageException($"{option}: id '{value}' is not a device id.");
            }

            if (!lists.TryGetValue(key, out var list))
            {
                lists[key] = list = [];
            }

            list.Add(value);
        }

        if (lists.TryGetValue("env", out var environments) && environments.Count > 1)
        {
            throw new UsageException($"{option}: env can be given once (blue or green).");
        }

        IReadOnlyList<string>? Of(string key) => lists.TryGetValue(key, out var values) ? values : null;
        return new RolloutTarget(
            DeviceTypes: Of("type"),
            HardwareRevisions: Of("rev"),
            Regions: Of("region"),
            Environment: Of("env")?[0],
            Tags: Of("tag"),
            DeviceIds: Of("id")?.Select(Guid.Parse).ToList());
    }

    /// <summary>
    /// A command's segment in the rollout target's syntax, without <c>id</c> (send to one device by its id instead);
    /// <c>all</c> is every active device, which an empty segment would be too easily by mistake.
    /// </summary>
    public static CommandSegment ParseSegment(string text)
    {
        if (text.Trim() == "all")
        {
            return new CommandSegment();
        }

        var target = ParseTarget(text, "--segment");
        if (target.DeviceIds is { Count: > 0 })
        {
            throw new UsageException("--segment: id is not a segment key; send to one device with `fleet commands send <deviceId> ...`.");
        }

        if (target == new RolloutTarget())
        {
            throw new UsageException("--segment: give at least one key=value (type, rev, region, env, tag), or `all` for every active device.");
        }

        return new CommandSegment(target.DeviceTypes, target.Regions, target.HardwareRevisions, target.Tags, target.Environment);
    }

    /// <summary><c>1,10,50,100</c>: each phase's share of the target, in percent.</summary>
    public static IReadOnlyList<double> ParsePercents(string text)
    {
        var percents = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) || percent <= 0 || percent > 100)
            {
                throw new UsageException($"--phases: '{part}' is not a percentage in (0, 100].");
            }

            percents.Add(percent);
        }

        return percents.Count > 0 ? percents : throw new UsageException("--phases: give at least one percentage, e.g. 1,10,50,100.");
    }

    /// <summary><c>90s</c>, <c>10m</c>, <c>2h</c>, <c>1d</c>, <c>0</c>, or a .NET time span (<c>00:10:00</c>).</summary>
    public static TimeSpan ParseDuration(string option, string text)
    {
        text = text.Trim();
        if (text == "0")
        {
            return TimeSpan.Zero;
        }

        if (text.Length > 1 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
        {
            switch (text[^1])
            {
                case 's': return TimeSpan.FromSeconds(amount);
                case 'm': return TimeSpan.FromMinutes(amount);
                case 'h': return TimeSpan.FromHours(amount);
                case 'd': return TimeSpan.FromDays(amount);
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero
            ? span
            : throw new UsageException($"{option}: '{text}' is not a duration (90s, 10m, 2h, 1d or hh:mm:ss).");
    }
}
