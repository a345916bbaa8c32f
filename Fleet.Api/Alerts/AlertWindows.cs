using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Fleet.Api.Alerts;

/// <summary>
/// The windowed rates behind <c>battery_degradation</c> and <c>sequence_gaps</c>, kept in Redis so a new leader picks
/// them up: one <see cref="WindowMark"/> per device and rate, and per device type a sorted set of the devices' latest
/// drain rates, whose median is the type's norm. Only the devices being evaluated are read or written.
/// </summary>
public sealed class AlertWindows(IConnectionMultiplexer redis, IOptions<AlertOptions> options)
{
    public const string MarksKey = "fleet:alerts:windows";

    public static string DrainKey(string type) => $"fleet:alerts:drain:{type}";

    /// <summary>Fills in loss ratios (when <paramref name="loss"/>) and drain rates with their type's norm (when <paramref name="drain"/>).</summary>
    public async Task<List<DeviceAlertSnapshot>> ApplyAsync(List<DeviceAlertSnapshot> devices, bool loss, bool drain, DateTimeOffset now)
    {
        if (devices.Count == 0 || (!loss && !drain))
        {
            return devices;
        }

        var settings = options.Value;
        var database = redis.GetDatabase();
        var fields = devices.SelectMany(d => new RedisValue[] { Field("loss", d.DeviceId), Field("drain", d.DeviceId) }).ToArray();
        var marks = await database.HashGetAsync(MarksKey, fields);
        var store = new List<HashEntry>();
        var rates = new Dictionary<string, List<SortedSetEntry>>();
        var result = new List<DeviceAlertSnapshot>(devices.Count);
        for (var i = 0; i < devices.Count; i++)
        {
            var device = devices[i];
            if (loss && device.SequenceExpected is { } expected)
            {
                var (mark, ratio) = AlertWindow.Loss(WindowMark.Parse(marks[2 * i]), expected, device.SequenceMissing ?? 0, now, settings.RateWindow);
                Keep(store, fields[2 * i], mark);
                device = device with { LossRatio = ratio };
            }

            if (drain && device.Battery is { } battery)
            {
                var (mark, rate) = AlertWindow.Drain(WindowMark.Parse(marks[2 * i + 1]), battery, now, settings.RateWindow);
                Keep(store, fields[2 * i + 1], mark);
                if (mark is { Last: { } fresh })
                {
                    (rates.TryGetValue(device.Type, out var list) ? list : rates[device.Type] = []).Add(new SortedSetEntry(device.DeviceId.ToString("N"), fresh));
                }

                device = device with { DrainPerHour = rate };
            }

            result.Add(device);
        }

        if (store.Count > 0)
        {
            await database.HashSetAsync(MarksKey, [.. store]);
        }

        foreach (var (type, entries) in rates)
        {
            await database.SortedSetAddAsync(DrainKey(type), [.. entries]);
        }

        return drain ? await WithNormsAsync(database, result, settings.MinimumDevicesForNorm) : result;
    }

    /// <summary>The median latest drain rate of each type present, when enough devices of the type have one.</summary>
    private static async Task<List<DeviceAlertSnapshot>> WithNormsAsync(IDatabase database, List<DeviceAlertSnapshot> devices, int minimum)
    {
        var norms = new Dictionary<string, double?>();
        foreach (var type in devices.Where(d => d.DrainPerHour is not null).Select(d => d.Type).Distinct())
        {
            var count = await database.SortedSetLengthAsync(DrainKey(type));
            if (count < minimum)
            {
                norms[type] = null;
                continue;
            }

            var middle = await database.SortedSetRangeByRankWithScoresAsync(DrainKey(type), count / 2, count / 2);
            norms[type] = middle.Length == 1 ? middle[0].Score : null;
        }

        return [.. devices.Select(d => d.DrainPerHour is null ? d : d with { DrainNormPerHour = norms.GetValueOrDefault(d.Type) })];
    }

    private static RedisValue Field(string rate, Guid deviceId) => $"{rate}:{deviceId:N}";

    private static void Keep(List<HashEntry> store, RedisValue field, WindowMark? mark)
    {
        if (mark is { } changed)
        {
            store.Add(new HashEntry(field, changed.Serialize()));
        }
    }
}
