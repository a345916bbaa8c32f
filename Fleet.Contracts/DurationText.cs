using System.Globalization;

namespace Fleet.Contracts;

/// <summary>Durations as an operator reads them: "1 min 12 s", "2 h 5 min", never <c>00:01:12.1583337</c>.</summary>
public static class DurationText
{
    /// <summary>The two largest units, whole numbers, rounded down: "45 s", "1 min 12 s", "10 min", "3 h 20 min", "2 d 4 h".</summary>
    public static string Words(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            return "-" + Words(span.Duration());
        }

        var (large, largeUnit, small, smallUnit) = span switch
        {
            { TotalDays: >= 1 } => (span.Days, "d", span.Hours, "h"),
            { TotalHours: >= 1 } => (span.Hours, "h", span.Minutes, "min"),
            { TotalMinutes: >= 1 } => (span.Minutes, "min", span.Seconds, "s"),
            _ => (span.Seconds, "s", 0, ""),
        };
        return small == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{large} {largeUnit}")
            : string.Create(CultureInfo.InvariantCulture, $"{large} {largeUnit} {small} {smallUnit}");
    }
}
