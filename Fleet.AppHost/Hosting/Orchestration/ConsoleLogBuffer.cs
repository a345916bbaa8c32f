namespace Fleet.AppHost.Hosting.Orchestration;

/// <summary>A line a child printed, numbered in arrival order so a reader can ask for what came after.</summary>
public sealed record ConsoleLogLine(long Sequence, DateTimeOffset Time, string Resource, string Replica, string Text, bool IsError);

/// <summary>The last lines of every resource's children, bounded per resource (oldest dropped first).</summary>
public sealed class ConsoleLogBuffer(int linesPerResource = 2000)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<ConsoleLogLine>> _lines = new(StringComparer.OrdinalIgnoreCase);
    private long _sequence;

    public void Append(string resource, string replica, string text, bool isError)
    {
        lock (_gate)
        {
            if (!_lines.TryGetValue(resource, out var lines))
            {
                _lines[resource] = lines = new Queue<ConsoleLogLine>();
            }

            lines.Enqueue(new ConsoleLogLine(++_sequence, DateTimeOffset.UtcNow, resource, replica, text, isError));
            if (lines.Count > linesPerResource)
            {
                lines.Dequeue();
            }
        }
    }

    /// <summary>The resource's lines numbered above <paramref name="after"/>, oldest first.</summary>
    public IReadOnlyList<ConsoleLogLine> After(string resource, long after)
    {
        lock (_gate)
        {
            return _lines.TryGetValue(resource, out var lines) ? lines.Where(line => line.Sequence > after).ToList() : [];
        }
    }
}
