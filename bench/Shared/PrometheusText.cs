using System.Globalization;

namespace Fleet.Bench;

/// <summary>Reads the Prometheus text format the API serves at <c>/metrics</c>.</summary>
internal static class PrometheusText
{
    /// <summary>
    /// The sum of a metric's samples over all its series (labels), or over those carrying every one of
    /// <paramref name="labels"/> (written as in the text, <c>name="value"</c>); 0 when absent.
    /// </summary>
    public static double Sum(string text, string name, params string[] labels) => text
        .Split('\n')
        .Where(line => line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is ' ' or '{')
        .Where(line => labels.All(label => line.Contains(label, StringComparison.Ordinal)))
        .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
