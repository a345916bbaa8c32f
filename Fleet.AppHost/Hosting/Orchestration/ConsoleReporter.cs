using System.Text;

namespace Fleet.AppHost.Hosting.Orchestration;

/// <summary>The AppHost's console: a table of resources, notices, and each child's lines prefixed by its resource name.</summary>
public sealed class ConsoleReporter(TextWriter output)
{
    private readonly Lock _gate = new();

    /// <summary>Every child's recent lines, for the dashboard's console logs page.</summary>
    public ConsoleLogBuffer Logs { get; } = new();

    public void Notice(string message) => Write($"fleet | {message}");

    public void ChildLine(string resource, string line) => ChildLine(resource, resource, line, isError: false);

    public void ChildLine(string resource, string replica, string line, bool isError)
    {
        Logs.Append(resource, replica, line, isError);
        Write($"{replica,-8} | {line}");
    }

    public void Table(IEnumerable<ResourceSnapshot> resources)
    {
        var rows = resources.Where(resource => resource.Kind != "parameter")
            .Select(resource => (resource.Name, resource.Kind, State: resource.State.ToString(), Url: string.Join(' ', resource.Urls)))
            .ToList();
        var nameWidth = Math.Max(4, rows.Max(row => row.Name.Length));
        var kindWidth = Math.Max(4, rows.Max(row => row.Kind.Length));
        var stateWidth = Math.Max(5, rows.Max(row => row.State.Length));

        var table = new StringBuilder();
        table.AppendLine();
        table.AppendLine($"  {"NAME".PadRight(nameWidth)}  {"KIND".PadRight(kindWidth)}  {"STATE".PadRight(stateWidth)}  URL");
        foreach (var row in rows)
        {
            table.AppendLine($"  {row.Name.PadRight(nameWidth)}  {row.Kind.PadRight(kindWidth)}  {row.State.PadRight(stateWidth)}  {row.Url}");
        }

        Write(table.ToString());
    }

    private void Write(string text)
    {
        lock (_gate)
        {
            output.WriteLine(text);
            output.Flush();
        }
    }
}
