using System.Collections.Concurrent;

namespace Fleet.Dashboard.Storage;

/// <summary>
/// Shares one instance of the strings that repeat across millions of spans (attribute keys, span names,
/// scopes, resources), so a full store holds each once. Bounded: past its capacity new strings are kept as
/// they come, so a sender inventing keys cannot grow it without limit.
/// </summary>
public sealed class StringPool(int capacity = 20_000)
{
    private readonly ConcurrentDictionary<string, string> _strings = new(StringComparer.Ordinal);

    public string Share(string value)
    {
        if (_strings.TryGetValue(value, out var shared))
        {
            return shared;
        }

        return _strings.Count < capacity ? _strings.GetOrAdd(value, value) : value;
    }
}
