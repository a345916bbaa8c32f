namespace Fleet.Cli.Output;

/// <summary>Rows of text in aligned columns, for people; <c>--json</c> is for scripts.</summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public TextTable Add(params string?[] cells)
    {
        _rows.Add([.. cells.Select(cell => cell ?? "-")]);
        return this;
    }

    public void WriteTo(TextWriter writer)
    {
        var all = _rows.Prepend(headers).ToList();
        var widths = Enumerable.Range(0, headers.Length).Select(column => all.Max(row => column < row.Length ? row[column].Length : 0)).ToArray();
        foreach (var row in all)
        {
            var cells = row.Select((cell, column) => column == row.Length - 1 ? cell : cell.PadRight(widths[column]));
            writer.WriteLine(string.Join("  ", cells).TrimEnd());
        }
    }
}

/// <summary>How the CLI writes numbers and times for people.</summary>
public static class Show
{
    public static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) ?? "-";

    /// <summary><c>healthy=3 pending=2</c>: the non-zero counts by name, or <c>-</c>.</summary>
    public static string Counts(IReadOnlyDictionary<string, int>? counts)
    {
        var nonZero = (counts ?? new Dictionary<string, int>()).Where(pair => pair.Value != 0).OrderBy(pair => pair.Key, StringComparer.Ordinal).ToList();
        return nonZero.Count == 0 ? "-" : string.Join(" ", nonZero.Select(pair => $"{pair.Key}={pair.Value}"));
    }

    public static string Percent(double value) => value.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) + "%";

    public static string Bytes(long size) => size.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " B";
}
