namespace Fleet.Dashboard.Storage;

/// <summary>
/// A fixed-capacity ring: appending past capacity overwrites the oldest item and counts it as dropped.
/// Not thread-safe on its own; <see cref="TelemetryStore"/> guards it.
/// </summary>
internal sealed class BoundedLog<T>(int capacity)
{
    private readonly T[] _items = new T[capacity];
    private int _start;

    public int Count { get; private set; }

    public long Dropped { get; private set; }

    public int Capacity => _items.Length;

    /// <summary>Appends; returns the item it pushed out, if the ring was full.</summary>
    public bool Add(T item, out T? evicted)
    {
        if (Count < _items.Length)
        {
            _items[(_start + Count) % _items.Length] = item;
            Count++;
            evicted = default;
            return false;
        }

        evicted = _items[_start];
        _items[_start] = item;
        _start = (_start + 1) % _items.Length;
        Dropped++;
        return true;
    }

    /// <summary>Oldest first.</summary>
    public IEnumerable<T> Items()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return _items[(_start + i) % _items.Length];
        }
    }

    /// <summary>Newest first.</summary>
    public IEnumerable<T> ItemsNewestFirst()
    {
        for (var i = Count - 1; i >= 0; i--)
        {
            yield return _items[(_start + i) % _items.Length];
        }
    }
}
