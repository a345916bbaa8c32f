using System.Globalization;

namespace Fleet.Bench;

/// <summary>Reads the Prometheus text format the API serves at <c>/metrics</c>.</summary>
internal static class PrometheusText
{
    /// <summary>The sum of a metric's samples over all its series (labels), 0 when absent.</summary>
    public static double Sum(string text, string name) => text
        .Split('\n')
        .Where(line => line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is ' ' or '{')
        .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
